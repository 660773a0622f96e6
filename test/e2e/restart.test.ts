import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/config';
import { localTokenPath, readLocalToken } from '../../config/local-token';
import { freePort } from '../../stack/free-port';

const ROOT = join(__dirname, '..', '..');
const SLUICE = join(ROOT, 'bin', 'sluice.js');
const fixture = (name: string) => join(ROOT, 'test', 'engine', 'fixtures', name);

/**
 * The real `sluice dev` as a user starts it: its own Temporal dev server (SQLite file) and
 * embedded PostgreSQL in one data directory. Stopped with SIGINT and started again, it must
 * keep every run with all its details.
 */
describe('sluice dev across a restart', () => {
  let dataDir: string;
  let ports: { api: number; temporal: number; ui: number; pg: number };
  let apiUrl: string;
  let dev: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-dev-'));
    chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user when we are root
    ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), pg: await freePort() };
    apiUrl = `http://127.0.0.1:${ports.api}`;
  });
  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill('SIGKILL');
    }
  });

  async function startDev(label: string): Promise<ChildProcess> {
    const log = openSync(join(dataDir, `dev-${label}.log`), 'a');
    const child = spawn(process.execPath, [SLUICE, 'dev', '--data-dir', dataDir, '--api-port', String(ports.api),
      '--temporal-port', String(ports.temporal), '--temporal-ui-port', String(ports.ui), '--postgres-port', String(ports.pg)],
    { stdio: ['ignore', log, log], env: { ...process.env, CI: 'true' } });
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sluice dev exited ${child.exitCode}:\n${readFileSync(join(dataDir, `dev-${label}.log`), 'utf8')}`);
      const ok = await fetch(`${apiUrl}/apis/v2beta1/healthz`).then((r) => r.ok, () => false);
      if (ok) return child;
      if (Date.now() > deadline) throw new Error(`sluice dev did not come up:\n${readFileSync(join(dataDir, `dev-${label}.log`), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function stopDev(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    return exited;
  }

  // The CLI finds the local token `sluice dev` wrote in the data dir by itself.
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [SLUICE, ...args], { encoding: 'utf8', env: { ...process.env, SLUICE_API: apiUrl, SLUICE_DATA_DIR: dataDir }, timeout: 120_000 });

  const getRun = async (id: string) => {
    const headers = { authorization: `Bearer ${readLocalToken(dataDir)}` };
    return (await fetch(`${apiUrl}/apis/v2beta1/runs/${id}`, { headers })).json() as Promise<Record<string, unknown>>;
  };

  test('runs, tasks, outputs and logs survive a stop and start of the whole stack', async () => {
    dev = await startDev('first');

    const ok = cli('run', fixture('two-step.yaml'), '-p', 'times=4', '--wait');
    expect(ok.status).toBe(0);
    const runId = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(ok.stdout)?.[1] as string;
    expect(runId).toBeDefined();
    expect(ok.stdout).toMatch(/SUCCEEDED/);

    const failed = cli('run', fixture('fail.yaml'), '--wait');
    expect(failed.status).toBe(1);
    expect(`${failed.stdout}${failed.stderr}`).toMatch(/exit code 3/);

    const bad = cli('run', fixture('two-step.yaml'), '-p', 'times=many');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/times/);

    const before = await getRun(runId);
    const logBefore = cli('logs', runId, 'consume');
    expect(logBefore.stdout).toContain('got');

    const token = readLocalToken(dataDir);
    expect(statSync(localTokenPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(await stopDev(dev)).toBe(0);
    dev = await startDev('second');
    // The local token outlives a restart: the CLI and a signed-in dashboard keep working.
    expect(readLocalToken(dataDir)).toBe(token);

    const after = await getRun(runId);
    expect(after).toEqual(before);
    const list = cli('runs', 'list', '--json');
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(runId);
    expect(cli('logs', runId, 'consume').stdout).toBe(logBefore.stdout);
    const get = cli('runs', 'get', runId);
    expect(get.status).toBe(0);
    expect(get.stdout).toMatch(/produce/);
    // The workflow's history survived too, in the dev server's SQLite file.
    const described = spawnSync(loadConfig().temporalCli, ['workflow', 'describe', '--address', `127.0.0.1:${ports.temporal}`, '--workflow-id', runId, '--output', 'json'], { encoding: 'utf8' });
    expect(described.status).toBe(0);
    expect(JSON.parse(described.stdout).workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');

    expect(await stopDev(dev)).toBe(0);
  });
});
