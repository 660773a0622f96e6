import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startTestEngine, type TestEngine } from '../support/engine';
import { startStandaloneWorker } from '../support/standalone-worker';
import { stepWritableDir } from '../support/temp-dirs';
import { DrillApi, LaunchGate, RUNS, executions, expectExactlyOnce, killHard, randomBetween, sleep, until } from './drill';

/**
 * `kill -9` of a standalone worker while five runs of a five-step pipeline execute: once at a
 * random point, once in the instant between a step's spawn and its launch claim. Every step
 * must execute exactly once and every run succeed.
 */
describe('fault drill: kill -9 of the worker', () => {
  let engine: TestEngine;
  let logDir: string;
  const gate = new LaunchGate();
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    engine = await startTestEngine('fault-worker', {}, { inProcessWorker: false });
    logDir = mkdtempSync(join(tmpdir(), 'sluice-fault-worker-logs-'));
    gate.start();
  });
  afterAll(async () => {
    gate.stop();
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await engine?.stop();
  });

  const startWorker = (label: string) => {
    const worker = startStandaloneWorker(engine, logDir, label, { SLUICE_TEST_LAUNCH_HOLD_DIR: gate.dir });
    workers.push(worker);
    return worker;
  };
  const killWorker = async (worker: ChildProcess) => {
    const exited = new Promise((r) => worker.once('exit', r));
    killHard(worker.pid as number);
    await exited;
  };

  test('every run succeeds and no step executes twice', async () => {
    const began = Date.now();
    const dir = stepWritableDir('fault-worker');
    const api = new DrillApi(engine.apiUrl, () => engine.token);
    let worker = startWorker('w1');
    const runIds = await Promise.all(Array.from({ length: RUNS }, (_, i) => api.createRun(dir, `worker drill ${i}`)));

    // A random point: after some executions.
    const first = randomBetween(2, 8);
    await until(`${first} executions`, () => executions(dir).length >= first);
    await killWorker(worker);
    worker = startWorker('w2');

    // Between spawn and claim: new launches stay held, the worker that spawned one dies.
    gate.freeze();
    const held = await until('a launch held between spawn and claim', () => gate.held().length > 0 && gate.held());
    await killWorker(worker);
    worker = startWorker('w3');
    // Let the orphaned supervisors go at a random moment: before or after the new worker's retry finds them.
    await sleep(randomBetween(0, 6_000));
    gate.thaw();

    const runs = await api.waitForRuns(runIds);
    const counted = expectExactlyOnce(runs, dir);
    const logs = ['w1', 'w2', 'w3'].map((w) => readFileSync(join(logDir, `${w}.log`), 'utf8')).join('\n');
    expect(logs).not.toMatch(/error: undefined/);
    console.log(`worker drill: ${runs.length} runs, ${counted} executions, killed after ${first} executions and with ${held.length} launch(es) held, ${((Date.now() - began) / 1000).toFixed(1)} s`);
  });
});
