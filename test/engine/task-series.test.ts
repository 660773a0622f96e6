import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { apiDepsFromConfig } from '../../api/app';
import { ConfigError, loadConfig } from '../../config/config';
import type { MetadataStore } from '../../store/types';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TaskActivityInput } from '../../activities/types';
import { noopPipeline } from '../../bench/noop-specs';
import { SERIES_MAX_INPUT_CHARS, SERIES_START_WINDOW_MS, SERIES_WINDOW_MS } from '../../workflows/task-series';
import { startTestEngine, type ApiRun, type TestEngine } from '../support/engine';
import { compileKfpPipeline } from '../support/kfp-compile';
import { stepWritableDir } from '../support/temp-dirs';
import { until } from '../support/until';
import { decodePayloads } from '../support/workflow-input';

const ITEMS = Array.from({ length: 30 }, (_, i) => `item-${i}`);

/** Lines of `<dir>/executions` counted by step name. */
function executions(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync(join(dir, 'executions'), 'utf8').trim().split('\n')) {
    const name = line.split(':')[0];
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

function stateOf(run: ApiRun, path: string): string | undefined {
  return run.run_details?.task_details?.find((t) => t.task_path === path)?.state;
}

describe('container tasks in series (workflows/task-series.ts)', () => {
  let engine: TestEngine;
  let pipeline: string;
  beforeAll(async () => {
    pipeline = compileKfpPipeline(join(__dirname, 'kfp-pipelines', 'series.py'));
    // Four slots, two series at once: a 32-task fan-out queues, so series take several tasks each.
    engine = await startTestEngine('task-series', { parallelism: 4, seriesWidth: 2 });
  }, 300_000);
  afterAll(async () => {
    await engine?.stop();
  });

  /** The run's scheduled activities: how many of each type, and the ids of its `runTask`s. */
  async function activitiesOf(runId: string): Promise<{ series: number; runTask: string[] }> {
    const events = (await engine.temporal.workflow.getHandle(runId).fetchHistory()).events ?? [];
    const scheduled = events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : []));
    return {
      series: scheduled.filter((a) => a.activityType?.name === 'runTaskSeries').length,
      runTask: scheduled.filter((a) => a.activityType?.name === 'runTask').map((a) => a.activityId ?? '').sort(),
    };
  }

  test('a fan-out runs in fewer activities than tasks; a retried launch and a step that outlives the window go on as runTask; each step runs once', async () => {
    const dir = stepWritableDir('series-ok');
    const seconds = (SERIES_WINDOW_MS + 1000) / 1000;
    const { run_id } = await engine.createRun(pipeline, { dir, items: ITEMS, seconds });
    const run = await engine.waitForRun(run_id, 120_000);
    expect({ state: run.state, error: run.error?.message }).toEqual({ state: 'SUCCEEDED', error: undefined });

    expect(executions(dir)).toEqual({ each: ITEMS.length, flaky: 2, slow: 1, collect: 1 });
    const collected = run.run_details?.task_details?.find((t) => t.task_path === 'root/collect')?.output_parameters?.out;
    expect(JSON.parse(String(collected))).toEqual(ITEMS);

    const activities = await activitiesOf(run_id);
    // 30 iterations and flaky and slow; collect runs alone, inline.
    expect(activities.series).toBeGreaterThan(0);
    expect(activities.series).toBeLessThan(ITEMS.length + 2);
    expect(activities.runTask).toEqual(['root/flaky', 'root/slow']);

    const attempts = await engine.store.listTaskAttempts(run_id);
    const byTask = new Map<string, string[]>();
    for (const a of attempts) byTask.set(a.taskPath, [...(byTask.get(a.taskPath) ?? []), `${a.attempt}:${a.state}`]);
    expect(byTask.get('root/flaky')).toEqual(['1:FAILED', '2:SUCCEEDED']);
    expect(byTask.get('root/slow')).toEqual(['1:SUCCEEDED']);
    for (let i = 0; i < ITEMS.length; i++) expect(byTask.get(`root/for-loop-1[${i}]/each`)).toEqual(['1:SUCCEEDED']);
  });

  test('the lanes a fill starts share its backlog evenly, and a series starts tasks for the start window', async () => {
    // Twenty no-op steps ready at once over two lanes: ten each, not ten and then five (what the
    // first left, halved), which made ever shorter series and more trips through Temporal.
    const res = await engine.fetch('/apis/v2beta1/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'even', pipeline_spec: noopPipeline('series-even', 20, 'fanout') }) });
    expect(res.status).toBe(200);
    const { run_id } = (await res.json()) as { run_id: string };
    expect((await engine.waitForRun(run_id, 120_000)).state).toBe('SUCCEEDED');
    const events = (await engine.temporal.workflow.getHandle(run_id).fetchHistory()).events ?? [];
    const series = await Promise.all(
      events.flatMap((e) => {
        const scheduled = e.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name !== 'runTaskSeries') return [];
        return [decodePayloads(scheduled.input?.payloads ?? []).then((payloads) => ({
          fill: Number(scheduled.workflowTaskCompletedEventId),
          args: payloads.map((p) => defaultPayloadConverter.fromPayload(p)) as [TaskActivityInput[], number, number],
        }))];
      }),
    );
    const first = series.filter((s) => s.fill === series[0].fill);
    expect(first.map((s) => s.args[0].length)).toEqual([10, 10]);
    for (const s of series) expect(s.args.slice(1)).toEqual([SERIES_WINDOW_MS, SERIES_START_WINDOW_MS]);
    expect(new Set(series.flatMap((s) => s.args[0].map((input) => input.taskPath))).size).toBe(20);
  });

  test('a failing task in a series fails alone: the others of its fan-out succeed, and what needs it is skipped', async () => {
    const dir = stepWritableDir('series-bad');
    const items = [...ITEMS.slice(0, 5), 'bad', ...ITEMS.slice(5)];
    const { run_id } = await engine.createRun(pipeline, { dir, items, seconds: 0 });
    const run = await engine.waitForRun(run_id, 120_000);
    expect(run.state).toBe('FAILED');
    expect(stateOf(run, 'root/for-loop-1[5]/each')).toBe('FAILED');
    expect(run.run_details?.task_details?.find((t) => t.task_path === 'root/for-loop-1[5]/each')?.error?.message).toMatch(/exit code 3[\s\S]*boom: each failed on bad/);
    for (let i = 0; i < items.length; i++) if (i !== 5) expect(stateOf(run, `root/for-loop-1[${i}]/each`)).toBe('SUCCEEDED');
    expect(stateOf(run, 'root/collect')).toBe('SKIPPED');
    expect(stateOf(run, 'root/flaky')).toBe('SUCCEEDED');
    expect(executions(dir)).toEqual({ each: items.length, flaky: 2, slow: 1 });
  });

  test('tasks with large inputs go fewer to a series: a series\' input stays one payload under Temporal\'s limit', async () => {
    const dir = stepWritableDir('series-large');
    // Random, so the payload codec's compression cannot shrink it: 16 tasks' worth would be ~4.8 MB.
    const blob = randomBytes(225_000).toString('base64');
    const items = ITEMS.slice(0, 20);
    const { run_id } = await engine.createRun(pipeline, { dir, items, seconds: 0, blob });
    const run = await engine.waitForRun(run_id, 120_000);
    expect({ state: run.state, error: run.error?.message }).toEqual({ state: 'SUCCEEDED', error: undefined });
    expect(executions(dir)).toEqual({ each: items.length, flaky: 2, slow: 1, collect: 1 });
    // Each `each` went alone in its series (its inputs are past SERIES_MAX_INPUT_CHARS): sixteen
    // in one would have been a payload Temporal refuses, and the run would never have ended.
    expect(SERIES_MAX_INPUT_CHARS).toBeLessThan(blob.length);
    const attempts = await engine.store.listTaskAttempts(run_id);
    expect(attempts.filter((a) => a.taskPath.endsWith('/each')).map((a) => a.state)).toEqual(Array(items.length).fill('SUCCEEDED'));
  });

  test('terminating a run stops its series: no task starts after it, and a task that ended before it keeps its state', async () => {
    const dir = stepWritableDir('series-cancel');
    const { run_id } = await engine.createRun(pipeline, { dir, items: ITEMS, seconds: 0, pause: 0.4 });
    await until('a first step of the fan-out to end', async () => ((await engine.store.listTaskAttempts(run_id)).some((a) => a.taskPath.endsWith('/each') && a.state === 'SUCCEEDED') ? true : undefined));
    expect((await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' })).status).toBe(200);
    const run = await engine.waitForRun(run_id, 60_000);
    expect(run.state).toBe('CANCELED');
    const attempts = await engine.store.listTaskAttempts(run_id);
    const eachTasks = (run.run_details?.task_details ?? []).filter((t) => String(t.task_path).endsWith('/each'));
    for (const t of eachTasks) {
      const launches = attempts.filter((a) => a.taskPath === t.task_path);
      // A step that ran to its end is SUCCEEDED, however its series ended; any other was canceled.
      expect({ task: t.task_path, state: t.state }).toEqual({ task: t.task_path, state: launches.some((a) => a.state === 'SUCCEEDED') ? 'SUCCEEDED' : 'CANCELED' });
    }
    expect(eachTasks.filter((t) => t.state === 'SUCCEEDED').length).toBeGreaterThan(0);
    // Only steps already started ran: fewer than the fan-out's thirty.
    expect(executions(dir).each).toBeLessThan(ITEMS.length);
    expect(attempts.every((a) => a.state === 'SUCCEEDED' || a.state === 'CANCELED' || a.state === 'FAILED')).toBe(true);
  });
});

describe('the series width in the config (SLUICE_SERIES_WIDTH)', () => {
  const env = { SLUICE_DATA_DIR: '/srv/sluice' };

  test('defaults to 8 per CPU for the local runner and to none for the Kubernetes runner; the API passes it to every run', () => {
    const local = loadConfig({}, env);
    expect(local.seriesWidth).toBe(8 * availableParallelism());
    expect(apiDepsFromConfig(local, {} as MetadataStore, {} as Client).seriesWidth).toBe(local.seriesWidth);
    expect(loadConfig({}, { ...env, SLUICE_RUNNER: 'kubernetes' }).seriesWidth).toBe(0);
    expect(loadConfig({}, { ...env, SLUICE_RUNNER: 'kubernetes', SLUICE_SERIES_WIDTH: '3' }).seriesWidth).toBe(3);
  });

  test('0 turns series off; anything but a whole number from 0 up is an error naming the key', () => {
    expect(loadConfig({}, { ...env, SLUICE_SERIES_WIDTH: '0' }).seriesWidth).toBe(0);
    expect(() => loadConfig({}, { ...env, SLUICE_SERIES_WIDTH: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { ...env, SLUICE_SERIES_WIDTH: 'wide' })).toThrow(/seriesWidth/);
  });
});
