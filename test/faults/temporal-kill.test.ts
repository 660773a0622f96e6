import { devDrill, openDrill, expectExactlyOnce, fiveStepsRunBody, isRunning, randomBetween, runCount, sleep, until, untilReady } from './drill';
import { stepWritableDir } from '../support/temp-dirs';

/**
 * `kill -9` of the Temporal dev server under `sluice dev` while five runs execute, with a launch
 * held between spawn and claim. The restart is delayed (backoff 6 s) so the outage is
 * observable: `/readyz` fails, run creation is refused at once with 503 and writes nothing. Then
 * the supervisor restarts Temporal on the same SQLite file, the worker and client reconnect,
 * every run succeeds with each step executed once, and a run started afterwards succeeds too.
 */
describe('fault drill: kill -9 of the Temporal dev server', () => {
  const { gate, dev } = devDrill('fault-temporal', { SLUICE_RESTART_BACKOFF_MS: '6000' });

  test('the outage is reported and refused cleanly, then every run succeeds with no step twice', async () => {
    const began = Date.now();
    const api = dev.api;
    const dir = stepWritableDir('fault-temporal');
    const { runIds, first, held } = await openDrill(api, gate, dir, 'temporal drill');
    const temporal = await dev.killServer('temporal', 'temporal');
    const runsBefore = await runCount(api);
    const asked = Date.now();
    const refused = await api.post('/runs', fiveStepsRunBody(dir, 'while down'));
    expect({ status: refused.status, retryAfter: refused.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '5' });
    expect(((await refused.json()) as { error_message: string }).error_message).toMatch(/Temporal is unreachable.*the run was not created/);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(await runCount(api)).toBe(runsBefore);

    await sleep(randomBetween(0, 3_000));
    gate.thaw();
    await untilReady(api);
    expect(isRunning(temporal)).toBe(false);
    expect(dev.log()).toMatch(new RegExp(`the Temporal dev server \\(pid ${temporal}\\) ended unexpectedly: killed by SIGKILL; restarting it in 6000 ms`));
    // Logged once its start has finished, which may be a moment after it answers.
    await until('the restart to be logged', () => /the Temporal dev server restarted \(pid \d+\)/.test(dev.log()));

    const runs = await api.waitForRuns(runIds);
    const counted = expectExactlyOnce(runs, dir);
    const afterDir = stepWritableDir('fault-temporal-after');
    const [after] = await api.waitForRuns([await api.createRun(afterDir, 'after the restart')]);
    expectExactlyOnce([after], afterDir);
    expect(await dev.terminate()).toBeLessThan(30_000);
    expect(dev.log()).not.toMatch(/error: undefined/);
    console.log(`Temporal drill: ${runs.length} runs (+1 after), ${counted} executions, killed after ${first} executions with ${held.length} launch(es) held, ${((Date.now() - began) / 1000).toFixed(1)} s`);
  });
});
