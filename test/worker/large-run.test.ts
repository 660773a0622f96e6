import { temporal } from '@temporalio/proto';
import { payloadsByteSize } from '../../config/payload-codec';
import { startTestEngine, type TestEngine } from '../support/engine';
import { fanOutSpec } from '../api/large-specs';

const EventType = temporal.api.enums.v1.EventType;

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The worker and the API's client share the gzip codec: a run whose spec is over Temporal's
 * 2 MiB payload limit as JSON starts, the worker decodes it, and the activities it schedules
 * with the spec (registerRun) are compressed too.
 */
describe('a run over 2 MiB of spec on the real stack', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('large_run', { parallelism: 2 });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test('an 8,000-task fan-out starts, runs, and terminates', async () => {
    const res = await engine.fetch(`/apis/v2beta1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'wide', pipeline_spec: fanOutSpec('wide-fan-out', 8000, ['sh', '-c', 'sleep 30']), runtime_config: { parameters: {} } }),
    });
    expect(res.status).toBe(200);
    const { run_id: runId } = (await res.json()) as { run_id: string };

    // RUNNING is recorded by the worker's registerRun and first task: it decoded the gzipped input.
    await until('the run to be RUNNING', async () => ((await engine.store.getRun(runId))?.state === 'RUNNING' ? true : undefined));
    await until('a task to start', async () => ((await engine.store.listTasks(runId)).some((t) => t.state === 'RUNNING') ? true : undefined));

    const history = await engine.temporal.workflow.getHandle(runId).fetchHistory();
    // The spec rides in the history once, gzipped, in the start input: registerRun, which
    // records it, is a local activity, whose input the history does not hold.
    const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    expect(Buffer.from(payloads[0]?.metadata?.encoding ?? []).toString()).toBe('binary/gzip');
    expect(payloadsByteSize(payloads)).toBeLessThan(256 * 1024);
    const scheduled = history.events?.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) ?? [];
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).not.toContain('registerRun');

    const terminate = await engine.fetch(`/apis/v2beta1/runs/${runId}:terminate`, { method: 'POST' });
    expect(terminate.status).toBe(200);
    const final = await until('the run to end', async () => {
      const run = await engine.store.getRun(runId);
      return run && ['CANCELED', 'FAILED', 'SUCCEEDED'].includes(run.state) ? run : undefined;
    }, 90_000);
    expect(final.state).toBe('CANCELED');
  });
});
