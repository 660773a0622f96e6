import { loadBurst } from '../../bench/load';
import { noopPipeline } from '../../bench/noop-specs';
import { startTestEngine, type TestEngine } from '../support/engine';

/**
 * The API under a burst: 100 run creations at once while 20 clients list runs back to back.
 * Every request must succeed and every run finish SUCCEEDED (latencies are the bench's job:
 * `bench/load.ts`).
 */
describe('load: 100 run creations at once with 20 readers', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('load');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test('all creations and all reads succeed, and every run finishes', async () => {
    const burst = await loadBurst(engine.apiUrl, engine.token, noopPipeline('load-burst', 1, 'chain'), { creations: 100, readers: 20 });
    expect({ failed: burst.creation.failed, failures: burst.creation.failures, created: burst.runIds.length }).toEqual({ failed: 0, failures: [], created: 100 });
    expect({ failed: burst.list.failed, failures: burst.list.failures }).toEqual({ failed: 0, failures: [] });
    expect(burst.list.count).toBeGreaterThanOrEqual(20);
    expect(new Set(burst.runIds).size).toBe(100);
    const states = await Promise.all(burst.runIds.map(async (id) => (await engine.waitForRun(id, 240_000)).state));
    expect(states.filter((s) => s !== 'SUCCEEDED')).toEqual([]);
    const listed = await engine.fetch('/apis/v2beta1/runs?page_size=1').then((r) => r.json() as Promise<{ total_size: number }>);
    expect(listed.total_size).toBe(100);
    console.log(`load: creation p50 ${burst.creation.p50Ms} ms, p95 ${burst.creation.p95Ms} ms; list p50 ${burst.list.p50Ms} ms, p95 ${burst.list.p95Ms} ms (${burst.list.count} reads)`);
  }, 400_000);
});
