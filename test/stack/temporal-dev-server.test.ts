import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/config';
import { freePort } from '../../stack/free-port';
import { startTemporalDevServer, type RunningTemporal } from '../../stack/temporal-dev-server';

/** The dev server's Go collector runs at GOGC=50 (a smaller peak heap) unless the operator chose its own setting. */
describe('the Temporal dev server', () => {
  const servers: RunningTemporal[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  const start = async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-temporal-'));
    const config = loadConfig({ dataDir: root });
    const server = await startTemporalDevServer({
      cli: config.temporalCli,
      dbFile: join(root, 'temporal', 'temporal.db'),
      port: await freePort(),
      uiPort: 0,
      namespace: config.temporalNamespace,
      logFile: join(root, 'temporal.log'),
      headless: true,
    });
    servers.push(server);
    return readFileSync(`/proc/${server.process.pid}/environ`, 'utf8').split('\0');
  };

  test('runs with GOGC=50 by default, and with the operator’s GOGC when one is set', async () => {
    const saved = process.env.GOGC;
    try {
      delete process.env.GOGC;
      expect(await start()).toContain('GOGC=50');
      process.env.GOGC = '200';
      expect(await start()).toContain('GOGC=200');
    } finally {
      if (saved === undefined) delete process.env.GOGC;
      else process.env.GOGC = saved;
    }
  }, 120_000);
});
