import { DevProcess, LaunchGate, RUNS, executions, expectExactlyOnce, isRunning, randomBetween, recordedPid, sleep, until, untilDown, untilReady } from './drill';
import { stepWritableDir } from '../support/temp-dirs';

/**
 * `kill -9` of embedded PostgreSQL under `sluice dev` while five runs execute, with a launch
 * held between spawn and claim. The restart is delayed (backoff 6 s) so the outage is
 * observable: `/readyz` fails and database routes answer 503 with `Retry-After`, not 500. The
 * supervisor restarts PostgreSQL on the same data, the pools reconnect, every run succeeds with
 * each step executed once, and a run started afterwards too. Last, with PostgreSQL killed
 * again, SIGTERM still stops the stack within its grace period and leaves nothing running.
 */
describe('fault drill: kill -9 of PostgreSQL', () => {
  const gate = new LaunchGate();
  const dev = new DevProcess('fault-postgres', { SLUICE_TEST_LAUNCH_HOLD_DIR: gate.dir, SLUICE_HEARTBEAT_TIMEOUT_SECONDS: '3', SLUICE_RESTART_BACKOFF_MS: '6000' });
  beforeAll(() => gate.start());
  afterAll(async () => {
    gate.stop();
    await dev.cleanUp();
  });

  test('the outage answers 503, then every run succeeds with no step twice; shutdown without PostgreSQL is prompt', async () => {
    const began = Date.now();
    await dev.start();
    const api = dev.api;
    const dir = stepWritableDir('fault-postgres');
    const runIds = await Promise.all(Array.from({ length: RUNS }, (_, i) => api.createRun(dir, `postgres drill ${i}`)));

    const first = randomBetween(2, 10);
    await until(`${first} executions`, () => executions(dir).length >= first);
    gate.freeze();
    const held = await until('a launch held between spawn and claim', () => gate.held().length > 0 && gate.held());
    const postgres = recordedPid(dev.dataDir, 'postgres');
    process.kill(postgres, 'SIGKILL');

    expect(await untilDown(api, 'postgresql')).toMatchObject({ retryAfter: '5' });
    const listed = await api.get('/runs');
    expect({ status: listed.status, retryAfter: listed.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '5' });
    expect(((await listed.json()) as { error_message: string }).error_message).toMatch(/^PostgreSQL is unavailable/);

    await sleep(randomBetween(0, 3_000));
    gate.thaw();
    await untilReady(api);
    expect(dev.log()).toMatch(new RegExp(`PostgreSQL \\(pid ${postgres}\\) ended unexpectedly: killed by SIGKILL; restarting it in 6000 ms`));
    expect(dev.log()).toMatch(/PostgreSQL restarted \(pid \d+\)/);

    const runs = await api.waitForRuns(runIds);
    const counted = expectExactlyOnce(runs, dir);
    const afterDir = stepWritableDir('fault-postgres-after');
    const [after] = await api.waitForRuns([await api.createRun(afterDir, 'after the restart')]);
    expectExactlyOnce([after], afterDir);

    const servers = [recordedPid(dev.dataDir, 'postgres'), recordedPid(dev.dataDir, 'temporal')];
    process.kill(servers[0], 'SIGKILL');
    await untilDown(api, 'postgresql');
    expect(await dev.terminate()).toBeLessThan(30_000);
    expect(servers.map(isRunning)).toEqual([false, false]);
    expect(dev.log()).not.toMatch(/error: undefined/);
    console.log(`PostgreSQL drill: ${runs.length} runs (+1 after), ${counted} executions, killed after ${first} executions with ${held.length} launch(es) held, ${((Date.now() - began) / 1000).toFixed(1)} s`);
  });
});
