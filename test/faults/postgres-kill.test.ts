import { devDrill, openDrill, expectExactlyOnce, isRunning, randomBetween, recordedPid, sleep, until, untilReady } from './drill';
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
  const { gate, dev } = devDrill('fault-postgres', { SLUICE_RESTART_BACKOFF_MS: '6000' });

  test('the outage answers 503, then every run succeeds with no step twice; shutdown without PostgreSQL is prompt', async () => {
    const began = Date.now();
    const api = dev.api;
    const dir = stepWritableDir('fault-postgres');
    const { runIds, first, held } = await openDrill(api, gate, dir, 'postgres drill');
    const postgres = await dev.killServer('postgres', 'postgresql');
    const listed = await api.get('/runs');
    expect({ status: listed.status, retryAfter: listed.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '5' });
    expect(((await listed.json()) as { error_message: string }).error_message).toMatch(/^PostgreSQL is unavailable/);

    await sleep(randomBetween(0, 3_000));
    gate.thaw();
    await untilReady(api);
    expect(dev.log()).toMatch(new RegExp(`PostgreSQL \\(pid ${postgres}\\) ended unexpectedly: killed by SIGKILL; restarting it in 6000 ms`));
    // Logged once its start has finished, which may be a moment after it answers.
    await until('the restart to be logged', () => /PostgreSQL restarted \(pid \d+\)/.test(dev.log()));

    const runs = await api.waitForRuns(runIds);
    const counted = expectExactlyOnce(runs, dir);
    const afterDir = stepWritableDir('fault-postgres-after');
    const [after] = await api.waitForRuns([await api.createRun(afterDir, 'after the restart')]);
    expectExactlyOnce([after], afterDir);

    const servers = [await dev.killServer('postgres', 'postgresql'), recordedPid(dev.dataDir, 'temporal')];
    expect(await dev.terminate()).toBeLessThan(30_000);
    expect(servers.map(isRunning)).toEqual([false, false]);
    expect(dev.log()).not.toMatch(/error: undefined/);
    console.log(`PostgreSQL drill: ${runs.length} runs (+1 after), ${counted} executions, killed after ${first} executions with ${held.length} launch(es) held, ${((Date.now() - began) / 1000).toFixed(1)} s`);
  });
});
