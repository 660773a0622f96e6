import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEngine, taskByName, type TestEngine } from '../support/engine';
import { startStandaloneWorker } from '../support/standalone-worker';
import { stepWritableDir } from '../support/temp-dirs';

describe('crash recovery', () => {
  let engine: TestEngine;
  let logDir: string;
  beforeAll(async () => {
    // Workers run as their own processes here, so that one can be killed with SIGKILL.
    engine = await startTestEngine('crash', {}, { inProcessWorker: false });
    logDir = mkdtempSync(join(tmpdir(), 'sluice-crash-logs-'));
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const startWorker = (label: string) => startStandaloneWorker(engine, logDir, label);


  test('kill -9 of the worker mid-step: a new worker finishes the run and no completed step runs again', async () => {
    const dir = stepWritableDir('crash');
    const first = startWorker('first');
    const { run_id } = await engine.createRun(join(__dirname, 'fixtures', 'slow.yaml'), { dir, seconds: 6 });
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(dir, 'slow.pid'))) {
      if (Date.now() > deadline) throw new Error(`slow step never started; worker log:\n${readFileSync(join(logDir, 'first.log'), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stepPid = Number(readFileSync(join(dir, 'slow.pid'), 'utf8'));
    let before = await engine.store.listTaskAttempts(run_id, 'root/slow');
    while (before.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      before = await engine.store.listTaskAttempts(run_id, 'root/slow');
    }
    // Reattaching must not report a new start: the launch started before the crash.
    await new Promise((r) => setTimeout(r, 1_100));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = startWorker('second');
    try {
      const run = await engine.waitForRun(run_id, 90_000);
      expect(run.state).toBe('SUCCEEDED');
      // Every step executed exactly once: `first` was not replayed, `slow` was reattached, not relaunched.
      expect(readFileSync(join(dir, 'executions'), 'utf8')).toBe('first\nslow\nlast\n');
      expect(Number(readFileSync(join(dir, 'slow.pid'), 'utf8'))).toBe(stepPid);
      const attempts = await engine.store.listTaskAttempts(run_id, 'root/slow');
      expect(attempts.map((a) => [a.attempt, a.state])).toEqual([[1, 'SUCCEEDED']]);
      expect(attempts[0].startedAt).toEqual(before[0].startedAt);
      expect(taskByName(run, 'slow').state).toBe('SUCCEEDED');
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  });
});
