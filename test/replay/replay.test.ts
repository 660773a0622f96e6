import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { SLUICE_DATA_CONVERTER } from '../../config/payload-codec';
import { PREBUILT_WORKFLOW_BUNDLE } from '../../worker/create-worker';
import { startTestEngine, type TestEngine } from '../support/engine';
import { parsePipelineDocument } from '../../ir/parse';
import { compileKfpPipelines } from '../support/kfp-compile';
import { stepWritableDir } from '../support/temp-dirs';

const HISTORIES = join(__dirname, 'histories');
const fixture = (name: string) => join(__dirname, '..', 'engine', 'fixtures', name);

/**
 * Runs in flight across a deploy replay their history on the new code. Histories recorded from
 * earlier versions live in histories/; each must replay with no determinism violation. Set
 * RECORD_HISTORIES=1 to add this version's histories there.
 */
describe('workflow replay', () => {
  // The worker's data converter: fresh histories hold gzipped payloads, committed ones plain JSON.
  const bundle = { workflowBundle: { codePath: PREBUILT_WORKFLOW_BUNDLE }, dataConverter: SLUICE_DATA_CONVERTER };

  test('the prebuilt workflow bundle exists (npm test builds it)', () => {
    expect(existsSync(PREBUILT_WORKFLOW_BUNDLE)).toBe(true);
  });

  test('committed histories replay on the current workflow code', async () => {
    const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const history = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8'));
      await expect(Worker.runReplayHistory(bundle, history, file.replace(/\.json$/, ''))).resolves.toBeUndefined();
    }
  });

  describe('fresh histories', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await startTestEngine('replay');
    });
    afterAll(async () => {
      await engine?.stop();
    });

    const kfp = (name: string) => compileKfpPipelines([join(__dirname, '..', 'engine', 'kfp-pipelines', `${name}.py`)])[name];
    const cases: Array<[string, () => string, (dir: string) => Record<string, unknown>]> = [
      ['v2-succeeded', () => fixture('two-step.yaml'), () => ({ times: 2 })],
      ['v2-failed', () => fixture('fail.yaml'), () => ({})],
      ['v2-conditions', () => kfp('conditions'), (dir) => ({ dir, side: 'heads', number: 7 })],
      ['v2-loops', () => kfp('loops'), (dir) => ({ dir })],
      ['v2-exit-handlers', () => kfp('exit_handlers'), (dir) => ({ dir })],
      ['v3-launch-records-running', () => kfp('combos'), (dir) => ({ dir, go: true })],
      ['v4-state-writes-local', () => kfp('loops'), (dir) => ({ dir })],
      ['v4-child-spec-pruned', () => kfp('loop_children'), (dir) => ({ dir })],
      ['v5-run-workspace', () => fixture('workspace.yaml'), () => ({})],
      // Recorded before patch `task-cache`: its container tasks must not start asking the cache.
      ['v5-before-task-cache', () => fixture('two-step.yaml'), () => ({ times: 3 })],
      // Patch `run-records-local`: the run's own records become local activities (markers).
      ['v7-run-records-local', () => fixture('two-step.yaml'), () => ({ times: 5 })],
      // Patch `steps-inline-first`: steps run as local activities; `slow` outlives the window and goes on as runTask.
      ['v8-steps-inline-first', () => fixture('slow.yaml'), (dir) => ({ dir, seconds: 3 })],
      // Patch `task-series`: a fan-out's tasks run in series (`runTaskSeries`), a loop's iterations all start at once.
      ['v9-task-series', () => kfp('series'), (dir) => ({ dir, items: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't'], seconds: 1 })],
      // Patch `series-even-fill`: the lanes a fill starts share the backlog evenly, and a series starts tasks for longer.
      ['v12-series-even-fill', () => kfp('series'), (dir) => ({ dir, items: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't'], seconds: 1 })],
    ];

    // Patches `children-in-series` and `loop-children-in-series-larger`: a large loop's children
    // run their tasks in series, every iteration started at once, 500 tasks' worth a child (the
    // committed v11 histories hold three children of 100 from before the second).
    test('a loop run as child workflows that run their tasks in series replays, the children too', async () => {
      const { run_id } = await engine.createRun(kfp('loop_children'), { dir: stepWritableDir('replay-children-in-series') });
      expect((await engine.waitForRun(run_id)).state).toBe('SUCCEEDED');
      await replayAndRecord('v13-loop-children-in-series-larger', run_id);
      const children: string[] = [];
      for await (const child of engine.temporal.workflow.list({ query: `WorkflowId STARTS_WITH "${run_id}/"` })) children.push(child.workflowId);
      // 101 iterations of 2 tasks: one child.
      expect(children).toEqual([`${run_id}/root/for-loop-1/0-100`]);
      const series = [];
      for (const id of children.sort()) {
        const history = await engine.temporal.workflow.getHandle(id).fetchHistory();
        series.push(history.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTaskSeries').length);
        await Worker.runReplayHistory(bundle, history, id);
      }
      // The child ran its 202 tasks in series, not as an activity each.
      expect(series[0]).toBeGreaterThan(0);
      expect(series[0]).toBeLessThan(202);
      if (process.env.RECORD_HISTORIES) writeFileSync(join(HISTORIES, 'v13-loop-children-in-series-larger-child.json'), showHistory(children[0]));
    });

    test.each(cases)('a run like %s replays', async (label, file, params) => {
      const { run_id } = await engine.createRun(file(), params(stepWritableDir(`replay-${label}`)));
      await engine.waitForRun(run_id);
      await replayAndRecord(label, run_id);
    });

    test('a run served from cache replays', async () => {
      const params = { times: 4 };
      await engine.waitForRun((await engine.createRun(fixture('two-step.yaml'), params)).run_id);
      const { run_id } = await engine.createRun(fixture('two-step.yaml'), params);
      const run = await engine.waitForRun(run_id);
      expect(run.run_details?.task_details?.find((t) => t.display_name === 'produce')?.state).toBe('SKIPPED');
      await replayAndRecord('v5-task-cache', run_id);
    });

    test('a canceled run replays', async () => {
      const dir = stepWritableDir('replay-cancel');
      const { run_id } = await engine.createRun(fixture('slow.yaml'), { dir });
      while (!existsSync(join(dir, 'slow.pid'))) await new Promise((r) => setTimeout(r, 100));
      await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' });
      expect((await engine.waitForRun(run_id)).state).toBe('CANCELED');
      await replayAndRecord('v2-canceled', run_id);
    });

    // Patch `local-activities-uncancelled`: the step running inline at the cancellation is stopped at its window's end, not cancelled.
    test('a run canceled while a step runs inline replays', async () => {
      const dir = stepWritableDir('replay-cancel-inline');
      const { run_id } = await engine.createRun(fixture('inline-then-long.yaml'), { dir, seconds: 1.6, long_seconds: 60 });
      while (!existsSync(join(dir, 'long.pid'))) await new Promise((r) => setTimeout(r, 100));
      await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' });
      expect((await engine.waitForRun(run_id)).state).toBe('CANCELED');
      await replayAndRecord('v10-local-activities-uncancelled', run_id);
    });

    test('a retried run replays (its latest execution: the retry)', async () => {
      const dir = stepWritableDir('replay-retry');
      const { run_id } = await engine.createRun(fixture('retry-chain.yaml'), { dir });
      expect((await engine.waitForRun(run_id)).state).toBe('FAILED');
      writeFileSync(join(dir, 'go'), '');
      expect((await engine.fetch(`/apis/v2beta1/runs/${run_id}:retry`, { method: 'POST' })).status).toBe(200);
      expect((await engine.waitForRun(run_id)).state).toBe('SUCCEEDED');
      await replayAndRecord('v6-run-retry', run_id);
    });

    test("a run started by a recurring run's schedule replays", async () => {
      const res = await engine.fetch('/apis/v2beta1/recurringruns', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          pipeline_spec: parsePipelineDocument(readFileSync(fixture('two-step.yaml'), 'utf8')).spec,
          runtime_config: { parameters: { times: 1 } },
          trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } },
          mode: 'DISABLE',
        }),
      });
      const { recurring_run_id: id } = (await res.json()) as { recurring_run_id: string };
      const handle = engine.temporal.schedule.getHandle(id);
      try {
        await handle.trigger();
        let runId: string | undefined;
        while (!runId) {
          runId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
          await new Promise((r) => setTimeout(r, 100));
        }
        while (!(await engine.store.getRun(runId))) await new Promise((r) => setTimeout(r, 100));
        expect((await engine.waitForRun(runId)).state).toBe('SUCCEEDED');
        await replayAndRecord('v5-scheduled-run', runId);
      } finally {
        await handle.delete();
      }
    });

    async function replayAndRecord(label: string, runId: string): Promise<void> {
      const handle = engine.temporal.workflow.getHandle(runId);
      // The run records its end just before its workflow closes: the history is whole only once it has.
      await handle.result().catch(() => undefined);
      const history = await handle.fetchHistory();
      await Worker.runReplayHistory(bundle, history, runId);
      if (process.env.RECORD_HISTORIES) writeFileSync(join(HISTORIES, `${label}.json`), showHistory(runId));
    }

    /** The canonical JSON form of a workflow's history, as the CLI writes it (the same the Temporal UI exports). */
    function showHistory(workflowId: string): string {
      return execFileSync(engine.config.temporalCli, ['workflow', 'show', '--address', engine.temporalAddress, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
    }
  });
});
