import { devDrill, expectExactlyOnce, isRunning, openDrill, randomBetween, recordedPid, sleep } from './drill';
import { stepWritableDir } from '../support/temp-dirs';

/**
 * `kill -9` of `sluice dev` itself while five runs execute, with a launch held between spawn and
 * claim: its Temporal and PostgreSQL survive as orphans holding the ports. Started again on the
 * same data dir, it must stop exactly those orphans, come up, and finish every run with each
 * step executed once.
 */
describe('fault drill: kill -9 of sluice dev', () => {
  const { gate, dev } = devDrill('fault-dev');

  test('a restart on the same data dir stops the orphans, and every run succeeds with no step twice', async () => {
    const began = Date.now();
    const dir = stepWritableDir('fault-dev');
    const { runIds, first, held } = await openDrill(dev.api, gate, dir, 'dev drill');
    const orphans = { temporal: recordedPid(dev.dataDir, 'temporal'), postgres: recordedPid(dev.dataDir, 'postgres') };
    await dev.crash();
    expect([isRunning(orphans.temporal), isRunning(orphans.postgres)]).toEqual([true, true]);

    await dev.start();
    expect(dev.log()).toMatch(new RegExp(`stopping temporal \\(pid ${orphans.temporal}\\), left running by a sluice dev`));
    expect(dev.log()).toMatch(new RegExp(`stopping postgres \\(pid ${orphans.postgres}\\), left running by a sluice dev`));
    expect([isRunning(orphans.temporal), isRunning(orphans.postgres)]).toEqual([false, false]);
    await sleep(randomBetween(0, 4_000));
    gate.thaw();

    const runs = await dev.api.waitForRuns(runIds);
    const counted = expectExactlyOnce(runs, dir);
    expect(await dev.terminate()).toBeLessThan(30_000);
    expect(dev.log()).not.toMatch(/error: undefined/);
    console.log(`sluice dev drill: ${runs.length} runs, ${counted} executions, killed after ${first} executions with ${held.length} launch(es) held, ${((Date.now() - began) / 1000).toFixed(1)} s`);
  });
});
