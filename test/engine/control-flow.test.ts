/**
 * KFP control flow end to end: pipelines written with the real kfp SDK
 * (test/engine/kfp-pipelines/*.py), compiled at test time, run on the real stack, and checked
 * against KFP's backend semantics (docs/kfp-semantics.md).
 *
 * Tasks are named by path (ir/task-path.ts): `root/<task>`, `root/condition-1/<task>`,
 * `root/for-loop-2[3]/<task>`. Every step appends `<component>:<value>` to `<dir>/executions`
 * when it runs, so "never executed" and "ran exactly N times" are checked on the host, not only
 * in the engine's own records.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { pipelineJobResourceName } from '../../ir/run-values';
import { runHistoryStats } from '../../stack/run-histories';
import { startTestEngine, type ApiRun, type ApiTask, type TestEngine } from '../support/engine';
import { compileKfpPipelines } from '../support/kfp-compile';
import { stepWritableDir } from '../support/temp-dirs';

const PIPELINES_DIR = join(__dirname, 'kfp-pipelines');
const RUN_TIMEOUT = 180_000;
const BIG_LOOP_TIMEOUT = 20 * 60_000;

let compiled: Record<string, string> | undefined;
/** Compiles every pipeline once per test file, in one Python process. */
function pipelines(): Record<string, string> {
  compiled ??= compileKfpPipelines(
    readdirSync(PIPELINES_DIR)
      .filter((f) => f.endsWith('.py') && !f.startsWith('_'))
      .map((f) => join(PIPELINES_DIR, f)),
  );
  return compiled;
}

// ---- reading a run ----

function tasksByPath(run: ApiRun): Map<string, ApiTask> {
  const byPath = new Map<string, ApiTask>();
  for (const task of run.run_details?.task_details ?? []) byPath.set(String(task.task_path), task);
  return byPath;
}

function task(run: ApiRun, path: string): ApiTask {
  const found = tasksByPath(run).get(path);
  if (!found) throw new Error(`run ${run.run_id} has no task ${path}; it has ${[...tasksByPath(run).keys()].sort().join(', ')}`);
  return found;
}

/** Asserts each path's state, reporting all mismatches at once. */
function expectStates(run: ApiRun, expected: Record<string, string>): void {
  const actual = Object.fromEntries(Object.keys(expected).map((path) => [path, tasksByPath(run).get(path)?.state ?? '(no such task)']));
  expect(actual).toEqual(expected);
}

function output(run: ApiRun, path: string, key = 'out'): unknown {
  return task(run, path).output_parameters?.[key];
}

/** A LIST input as a step echoed it back (JSON, however the engine spaced it). */
function listOutput(run: ApiRun, path: string): unknown {
  const value = output(run, path);
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** Why the engine skipped a task: the task's error, or the error of its last state change. */
function skipReason(t: ApiTask): string {
  const history = (t.state_history as { error?: { message?: string } }[] | undefined) ?? [];
  return t.error?.message ?? history[history.length - 1]?.error?.message ?? '';
}

/** A not-triggered task (false condition): SKIPPED, with a reason that says so. */
function expectNotTriggered(run: ApiRun, path: string): void {
  const t = task(run, path);
  expect({ path, state: t.state }).toEqual({ path, state: 'SKIPPED' });
  expect(skipReason(t)).toMatch(/not triggered|condition/i);
}

/** A task skipped because an upstream task failed or was skipped. */
function expectSkippedByUpstream(run: ApiRun, path: string): void {
  const t = task(run, path);
  expect({ path, state: t.state }).toEqual({ path, state: 'SKIPPED' });
  expect(skipReason(t)).toMatch(/upstream/i);
}

/** A task inside a sub-DAG that never started: no row at all, or at most a SKIPPED one. */
function expectNeverStarted(run: ApiRun, path: string): void {
  const state = tasksByPath(run).get(path)?.state;
  expect({ path, state: state === undefined ? 'absent' : state }).toEqual({ path, state: state === undefined ? 'absent' : 'SKIPPED' });
}

// ---- reading what the steps did on the host ----

function executionLines(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'executions'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** How often each component ran, from `<dir>/executions`. */
function runCounts(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of executionLines(dir)) {
    const name = line.slice(0, line.indexOf(':'));
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const sorted = (xs: string[]) => [...xs].sort();

/** The run succeeded; on failure the message shows the run's error and every failed task's. */
function expectSucceeded(run: ApiRun): void {
  const failed = (run.run_details?.task_details ?? []).filter((t) => t.state === 'FAILED').map((t) => `${String(t.task_path)}: ${t.error?.message}`);
  expect({ state: run.state, error: run.error?.message, failed }).toEqual({ state: 'SUCCEEDED', error: undefined, failed: [] });
}

describe('KFP pipelines compile with the real kfp SDK', () => {
  test('every pipeline compiles and the IR holds the constructs under test', () => {
    const files = pipelines();
    expect(Object.keys(files).sort()).toEqual([
      'artifact_loops', 'big_loop', 'combos', 'conditions', 'exit_handlers', 'failures', 'if_elif_else_oneof',
      'importer', 'input_artifacts', 'loop_children', 'loops', 'nested_pipelines', 'parallelism', 'params_format', 'resources', 'retry', 'series',
    ]);
    const yaml = (name: string) => readFileSync(files[name], 'utf8');
    const all = Object.keys(files).map(yaml).join('\n');
    for (const construct of [
      'triggerPolicy', 'parameterIterator', 'artifactIterator', 'iteratorPolicy', 'parallelismLimit: 2', 'valueFromOneof',
      'artifactSelectors', 'taskFinalStatus', 'importer', 'ALL_UPSTREAM_TASKS_COMPLETED', 'parameterExpressionSelector',
      'isArtifactList', 'retryPolicy', 'isOptional: true', "{{$.pipeline_task_name}}", "{{$.pipeline_job_resource_name}}",
    ]) {
      expect({ construct, found: all.includes(construct) }).toEqual({ construct, found: true });
    }
    expect(all).toMatch(/\n {4}dag:\n {6}outputs:/); // a sub-DAG component with dag.outputs
    expect(yaml('params_format')).toContain("constant: Hello {{$.inputs.parameters['pipelinechannel--name']}}");
    const bigLoop = parse(yaml('big_loop')) as { root: { dag: { tasks: Record<string, { parameterIterator?: { items: { raw?: string } } }> } } };
    expect(JSON.parse(bigLoop.root.dag.tasks['for-loop-2'].parameterIterator?.items.raw ?? '[]')).toHaveLength(1000);
  });
});

describe('KFP control flow on the real stack', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    pipelines();
    engine = await startTestEngine('control-flow', { parallelism: 8 });
  }, 300_000);
  afterAll(async () => {
    await engine?.stop();
  });

  async function run(name: string, parameters: Record<string, unknown> = {}, timeoutMs = RUN_TIMEOUT): Promise<ApiRun> {
    const { run_id } = await engine.createRun(pipelines()[name], parameters);
    return engine.waitForRun(run_id, timeoutMs);
  }

  describe('conditions (dsl.If / dsl.Else, nested)', () => {
    test('heads with a big number: the heads branch and its nested If run, everything else is not triggered', async () => {
      const dir = stepWritableDir('cond-heads');
      const r = await run('conditions', { dir, side: 'heads', number: 7 });
      expectSucceeded(r);
      expectStates(r, {
        'root/flip': 'SUCCEEDED',
        'root/condition-branches-1': 'SUCCEEDED',
        'root/condition-branches-1/condition-4': 'SUCCEEDED',
        'root/condition-branches-1/condition-4/heads': 'SUCCEEDED',
        'root/condition-branches-1/condition-4/condition-2': 'SUCCEEDED',
        'root/condition-branches-1/condition-4/condition-2/heads-big': 'SUCCEEDED',
        'root/after-flip': 'SUCCEEDED',
      });
      expectNotTriggered(r, 'root/condition-branches-1/condition-4/condition-3');
      expectNotTriggered(r, 'root/condition-branches-1/condition-5');
      expectNeverStarted(r, 'root/condition-branches-1/condition-4/condition-3/heads-small');
      expectNeverStarted(r, 'root/condition-branches-1/condition-5/tails');
      expect(output(r, 'root/flip')).toBe('heads');
      expect(output(r, 'root/after-flip')).toBe('heads');
      expect(sorted(executionLines(dir))).toEqual(sorted(['flip:heads', 'heads:H', 'heads-big:HB', 'after-flip:heads']));
    });

    test('heads with a small number takes the other nested branch', async () => {
      const dir = stepWritableDir('cond-small');
      const r = await run('conditions', { dir, side: 'heads', number: 3 });
      expectSucceeded(r);
      expectNotTriggered(r, 'root/condition-branches-1/condition-4/condition-2');
      expect(task(r, 'root/condition-branches-1/condition-4/condition-3/heads-small').state).toBe('SUCCEEDED');
      expect(sorted(executionLines(dir))).toEqual(sorted(['flip:heads', 'heads:H', 'heads-small:HS', 'after-flip:heads']));
    });

    test('tails: only the Else branch runs; the If branch and everything nested in it never start', async () => {
      const dir = stepWritableDir('cond-tails');
      const r = await run('conditions', { dir, side: 'tails', number: 7 });
      expectSucceeded(r);
      expectStates(r, {
        'root/condition-branches-1': 'SUCCEEDED',
        'root/condition-branches-1/condition-5': 'SUCCEEDED',
        'root/condition-branches-1/condition-5/tails': 'SUCCEEDED',
      });
      expectNotTriggered(r, 'root/condition-branches-1/condition-4');
      for (const path of ['condition-4/heads', 'condition-4/condition-2', 'condition-4/condition-2/heads-big', 'condition-4/condition-3/heads-small']) {
        expectNeverStarted(r, `root/condition-branches-1/${path}`);
      }
      expect(sorted(executionLines(dir))).toEqual(sorted(['flip:tails', 'tails:T', 'after-flip:tails']));
    });
  });

  describe('dsl.If / dsl.Elif / dsl.Else with dsl.OneOf', () => {
    test.each([
      { n: -1, loud: false, branch: 'condition-2', producer: 'negative', value: 'neg', others: ['condition-3', 'condition-5'] },
      { n: 0, loud: true, branch: 'condition-3', producer: 'zero', value: 'zero', others: ['condition-2', 'condition-5'] },
      { n: 0, loud: false, branch: 'condition-3', producer: 'zero', value: 'zero', others: ['condition-2', 'condition-5'] },
      { n: 5, loud: true, branch: 'condition-5', producer: 'positive', value: 'pos', others: ['condition-2', 'condition-3'] },
    ])('n=$n loud=$loud: OneOf takes $producer, the branch that ran', async ({ n, loud, branch, producer, value, others }) => {
      const dir = stepWritableDir('oneof');
      const r = await run('if_elif_else_oneof', { dir, n, loud });
      expectSucceeded(r);
      expectStates(r, {
        'root/condition-branches-1': 'SUCCEEDED',
        [`root/condition-branches-1/${branch}`]: 'SUCCEEDED',
        [`root/condition-branches-1/${branch}/${producer}`]: 'SUCCEEDED',
        'root/consume-param': 'SUCCEEDED',
        'root/consume-data': 'SUCCEEDED',
      });
      for (const other of others) expectNotTriggered(r, `root/condition-branches-1/${other}`);
      const loudRan = n === 0 && loud;
      if (n === 0) {
        if (loudRan) expect(task(r, 'root/condition-branches-1/condition-3/condition-4/zero-loud').state).toBe('SUCCEEDED');
        else expectNotTriggered(r, 'root/condition-branches-1/condition-3/condition-4');
      } else {
        expectNeverStarted(r, 'root/condition-branches-1/condition-3/condition-4/zero-loud');
      }
      expect(output(r, 'root/consume-param')).toBe(value); // OneOf of parameters
      expect(output(r, 'root/consume-data')).toBe(value); // OneOf of artifacts: the file's contents
      const expected = [`${producer}:${value}`, `consume-param:${value}`, 'consume-data:'];
      if (loudRan) expected.push('zero-loud:ZERO');
      expect(sorted(executionLines(dir))).toEqual(sorted(expected));
    });
  });

  describe('dsl.ParallelFor', () => {
    test('raw lists, pipeline inputs, upstream outputs, dict items with fields, nested loops; Collected in iteration order', async () => {
      const dir = stepWritableDir('loops');
      const r = await run('loops', { dir });
      expectSucceeded(r);
      expectStates(r, {
        'root/for-loop-2': 'SUCCEEDED',
        'root/for-loop-2[0]': 'SUCCEEDED',
        'root/for-loop-3': 'SUCCEEDED',
        'root/emit': 'SUCCEEDED',
        'root/for-loop-4': 'SUCCEEDED',
        'root/for-loop-5': 'SUCCEEDED',
        'root/for-loop-7': 'SUCCEEDED',
        'root/for-loop-7[1]/for-loop-9': 'SUCCEEDED',
        'root/show-tenfold': 'SUCCEEDED',
      });
      // raw list [1, 2, 3] → value * 10, and the Collected list in iteration order
      expect([0, 1, 2].map((i) => output(r, `root/for-loop-2[${i}]/tenfold`))).toEqual([10, 20, 30]);
      expect(listOutput(r, 'root/show-tenfold')).toEqual([10, 20, 30]);
      // a pipeline input list, and the run/task placeholders inside an iteration
      expect([0, 1].map((i) => output(r, `root/for-loop-3[${i}]/greet`))).toEqual(['ann', 'bob']);
      const resourceName = pipelineJobResourceName('loops', r.run_id);
      for (const i of [0, 1]) {
        expect(output(r, `root/for-loop-3[${i}]/task-name`)).toBe('task-name');
        expect(output(r, `root/for-loop-3[${i}]/job-name`)).toBe(resourceName);
      }
      // an upstream task's LIST output
      expect(output(r, 'root/emit')).toEqual(['p', 'q', 'r', 's']);
      expect([0, 1, 2, 3].map((i) => output(r, `root/for-loop-4[${i}]/from-upstream`))).toEqual(['p', 'q', 'r', 's']);
      // items that are dicts, each task selecting a field (parameterExpressionSelector)
      expect([0, 1, 2].map((i) => output(r, `root/for-loop-5[${i}]/field-a`))).toEqual(['one', 'two', 'three']);
      expect([0, 1, 2].map((i) => output(r, `root/for-loop-5[${i}]/field-b`))).toEqual(['uno', 'dos', 'tres']);
      // nested loops: 2 × 2 iterations, with an f-string over both items
      const pairs = [0, 1].flatMap((i) => [0, 1].map((j) => output(r, `root/for-loop-7[${i}]/for-loop-9[${j}]/pair`)));
      expect(pairs).toEqual(['x-1', 'x-2', 'y-1', 'y-2']);

      expect(runCounts(dir)).toEqual({
        tenfold: 3, 'show-tenfold': 1, greet: 2, 'task-name': 2, 'job-name': 2, emit: 1, 'from-upstream': 4, 'field-a': 3, 'field-b': 3, pair: 4,
      });
      expect(sorted(executionLines(dir).filter((l) => l.startsWith('pair:')))).toEqual(['pair:x-1', 'pair:x-2', 'pair:y-1', 'pair:y-2']);
    });

    // 201 items: more tasks than a loop runs inline (ir/fanout.ts), so its iterations run in child workflows and their series.
    test.each([
      ['inline', 6, 0.6],
      ['in child workflows', 201, 0.02],
    ])('parallelism=2 bounds the loop %s: at most two iterations run at once', async (_where, count, seconds) => {
      const dir = stepWritableDir(`parallelism-${count}`);
      const items = Array.from({ length: count }, (_, i) => `i${i}`);
      const r = await run('parallelism', { dir, seconds, items }, count > 6 ? BIG_LOOP_TIMEOUT : RUN_TIMEOUT);
      expectSucceeded(r);
      const slow = (await engine.store.listTasks(r.run_id)).filter((t) => /^root\/for-loop-\d+\[\d+\]\/slow$/.test(t.taskPath));
      expect(slow.map((t) => t.state)).toEqual(Array(count).fill('SUCCEEDED'));
      const events = readFileSync(join(dir, 'events'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [kind, item, at] = line.split(' ');
          return { kind, item, at: Number(at) };
        })
        // by time; at equal times an end before a start, so back-to-back steps do not count as overlapping
        .sort((a, b) => a.at - b.at || (a.kind === 'end' ? -1 : 1));
      let running = 0;
      let peak = 0;
      for (const e of events) {
        running += e.kind === 'start' ? 1 : -1;
        peak = Math.max(peak, running);
      }
      expect(peak).toBe(2);
      expect(runCounts(dir)).toEqual({ slow: count });
      if (count > 6) expect((await runHistoryStats(engine.temporal, r.run_id)).length).toBeGreaterThan(1);
    }, BIG_LOOP_TIMEOUT + 60_000);

    test('a loop over artifacts (artifactIterator) and a Collected LIST of artifacts as a dag output', async () => {
      const dir = stepWritableDir('artifact-loops');
      const r = await run('artifact_loops', { dir });
      expectSucceeded(r);
      expectStates(r, { 'root/make-datasets': 'SUCCEEDED', 'root/for-loop-1': 'SUCCEEDED', 'root/join-datasets': 'SUCCEEDED' });
      expect([0, 1, 2].map((i) => output(r, `root/make-datasets/for-loop-1[${i}]/make`))).toEqual(['red', 'green', 'blue']);
      expect([0, 1, 2].map((i) => output(r, `root/for-loop-1[${i}]/read-each`))).toEqual(['red', 'green', 'blue']);
      expect(output(r, 'root/join-datasets', 'Output')).toBe('red,green,blue');
      expect(runCounts(dir)).toEqual({ make: 3, 'read-each': 3, 'join-datasets': 1 });
    });
  });

  describe('nested pipelines', () => {
    test('dag outputs, input artifacts and optional inputs at nested levels, a nested pipeline in a loop with Collected outputs', async () => {
      const dir = stepWritableDir('nested');
      const r = await run('nested_pipelines', { dir });
      expectSucceeded(r);
      expectStates(r, {
        'root/source': 'SUCCEEDED',
        'root/middle': 'SUCCEEDED',
        'root/middle/inner': 'SUCCEEDED',
        'root/middle/inner/inner-read': 'SUCCEEDED',
        'root/middle/inner/inner-write': 'SUCCEEDED',
        'root/use-middle': 'SUCCEEDED',
        'root/for-loop-1': 'SUCCEEDED',
        'root/for-loop-1[2]/inner': 'SUCCEEDED',
        'root/show-texts': 'SUCCEEDED',
        'root/join-datasets': 'SUCCEEDED',
      });
      expect(output(r, 'root/middle/inner/inner-read')).toBe('seed'); // the artifact passed down two levels
      expect(output(r, 'root/middle/inner/inner-write')).toBe('top!'); // the default suffix
      expect(output(r, 'root/use-middle')).toBe('top!'); // dag.outputs of inner, then of middle
      expect([0, 1, 2].map((i) => output(r, `root/for-loop-1[${i}]/inner/inner-write`))).toEqual(['a?', 'b?', 'c?']);
      expect(listOutput(r, 'root/show-texts')).toEqual(['a?', 'b?', 'c?']);
      expect(output(r, 'root/join-datasets', 'Output')).toBe('a?,b?,c?');
      expect(runCounts(dir)).toEqual({ source: 1, 'inner-read': 4, 'inner-write': 4, 'use-middle': 1, 'show-texts': 1, 'join-datasets': 1 });
    });
  });

  describe('exit handlers and failures', () => {
    test('two exit handlers: the exit tasks run and receive their groups\' final status; the run FAILS', async () => {
      const dir = stepWritableDir('exit');
      const r = await run('exit_handlers', { dir });
      expect(r.state).toBe('FAILED');
      expectStates(r, {
        'root/exit-handler-1': 'SUCCEEDED',
        'root/exit-handler-1/for-loop-3': 'SUCCEEDED',
        'root/exit-handler-1/for-loop-3[0]/looped': 'SUCCEEDED',
        'root/exit-handler-1/for-loop-3[1]/looped': 'SUCCEEDED',
        'root/exit-handler-1/for-loop-3[2]/looped': 'SUCCEEDED',
        'root/report-status': 'SUCCEEDED',
        'root/exit-handler-4': 'FAILED',
        'root/exit-handler-4/before-fail': 'SUCCEEDED',
        'root/exit-handler-4/boom': 'FAILED',
        'root/exit-handler-4/sibling': 'SUCCEEDED',
        'root/report-status-2': 'SUCCEEDED',
        'root/independent': 'SUCCEEDED',
      });
      expectSkippedByUpstream(r, 'root/exit-handler-4/after-boom');

      const resourceName = pipelineJobResourceName('exit-handlers', r.run_id);
      const ok = JSON.parse(String(output(r, 'root/report-status', 'Output')));
      expect(ok).toEqual({
        state: 'COMPLETE',
        pipeline_task_name: 'exit-handler-1',
        pipeline_job_resource_name: resourceName,
        error_code: null,
        error_message: null,
      });
      const failed = JSON.parse(String(output(r, 'root/report-status-2', 'Output')));
      expect(failed).toMatchObject({ state: 'FAILED', pipeline_task_name: 'exit-handler-4', pipeline_job_resource_name: resourceName });
      expect(typeof failed.error_code).toBe('number');
      expect(failed.error_message).toMatch(/boom|exit code 3/);

      expect(runCounts(dir)).toEqual({ looped: 3, 'report-status': 2, 'before-fail': 1, boom: 1, sibling: 1, independent: 1 });
      expect(executionLines(dir)).toEqual(expect.arrayContaining(['report-status:loop-handler', 'report-status:fail-handler']));
      // each exit task ran after everything in its group had finished
      const lines = executionLines(dir);
      expect(lines.indexOf('report-status:fail-handler')).toBeGreaterThan(lines.indexOf('sibling:s'));
      expect(lines.indexOf('report-status:fail-handler')).toBeGreaterThan(lines.indexOf('boom:f'));
      expect(lines.indexOf('report-status:loop-handler')).toBeGreaterThan(Math.max(...['1', '2', '3'].map((i) => lines.indexOf(`looped:${i}`))));
    });

    test('a failure skips its dependents (transitively) but not independent work; ignore_upstream_failure runs after it', async () => {
      const dir = stepWritableDir('failures');
      const r = await run('failures', { dir });
      expect(r.state).toBe('FAILED');
      expect(r.error?.message).toMatch(/exit code 3/);
      expectStates(r, {
        'root/boom': 'FAILED',
        'root/cleanup': 'SUCCEEDED',
        'root/independent': 'SUCCEEDED',
        'root/independent-next': 'SUCCEEDED',
        'root/for-loop-2': 'FAILED',
        'root/for-loop-2[0]/iteration': 'SUCCEEDED',
        'root/for-loop-2[1]/iteration': 'FAILED',
        'root/for-loop-2[2]/iteration': 'SUCCEEDED',
        'root/failing-inner': 'FAILED',
        'root/failing-inner/inner-boom': 'FAILED',
      });
      expectSkippedByUpstream(r, 'root/after-boom');
      expectSkippedByUpstream(r, 'root/after-after-boom'); // downstream of a skipped task
      expectSkippedByUpstream(r, 'root/after-loop');
      expectSkippedByUpstream(r, 'root/after-nested');
      expect(task(r, 'root/boom').error?.message).toMatch(/exit code 3/);
      expect(output(r, 'root/independent-next')).toBe('i');
      expect(runCounts(dir)).toEqual({ boom: 1, cleanup: 1, independent: 1, 'independent-next': 1, iteration: 3, 'inner-boom': 1 });
      // cleanup ran after boom had failed
      const lines = executionLines(dir);
      expect(lines.indexOf('cleanup:cleanup')).toBeGreaterThan(lines.indexOf('boom:x'));
    });

    test('retry policies: a flaky step relaunches with backoff until it succeeds; a failing one stops after its retries', async () => {
      const dir = stepWritableDir('retry');
      const r = await run('retry', { dir });
      expect(r.state).toBe('FAILED');
      expectStates(r, { 'root/flaky': 'SUCCEEDED', 'root/always-fails': 'FAILED' });
      expect(task(r, 'root/flaky').attempts).toBe(3);
      expect(task(r, 'root/always-fails').attempts).toBe(2);
      expect(runCounts(dir)).toEqual({ flaky: 3, 'always-fails': 2 });
      const starts = readFileSync(join(dir, 'flaky-launches'), 'utf8').trim().split('\n').map(Number);
      expect(starts).toHaveLength(3);
      expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(0.9); // backoff_duration 1s
      expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(1.9); // × backoff_factor 2
    });
  });

  describe('importer, f-strings and optional inputs, combinations', () => {
    test('dsl.importer brings a file in as a Dataset', async () => {
      const dir = stepWritableDir('importer');
      const uri = join(dir, 'input.txt');
      writeFileSync(uri, 'imported text');
      const r = await run('importer', { dir, uri });
      expectSucceeded(r);
      expectStates(r, { 'root/importer': 'SUCCEEDED', 'root/read-imported': 'SUCCEEDED' });
      expect(output(r, 'root/read-imported')).toBe('imported text');
      expect(runCounts(dir)).toEqual({ 'read-imported': 1 });
      const artifacts = await engine.store.listArtifacts(r.run_id);
      expect(artifacts).toEqual(expect.arrayContaining([expect.objectContaining({ uri, schemaTitle: 'system.Dataset' })]));
    });

    test.each([
      { params: {}, hello: 'Hello KFP', maybe: 'absent' },
      { params: { name: 'Sluice', maybe: 'given' }, hello: 'Hello Sluice', maybe: 'given' },
    ])('f-string constants and optional inputs at every level ($params)', async ({ params, hello, maybe }) => {
      const dir = stepWritableDir('format');
      const r = await run('params_format', { dir, ...params });
      expectSucceeded(r);
      const name = hello.replace('Hello ', '');
      expect(output(r, 'root/hello')).toBe(hello);
      expect(output(r, 'root/again')).toBe(`${hello}, again.`);
      expect([0, 1].map((i) => output(r, `root/for-loop-2[${i}]/looped`))).toEqual([`1 and ${name}.`, `2 and ${name}.`]);
      expect(output(r, 'root/opt-unset')).toBe('absent');
      expect(output(r, 'root/opt-from-param')).toBe(maybe);
      expect(output(r, 'root/with-default')).toBe('fallback');
      expect(task(r, 'root/inner-optional').state).toBe('SUCCEEDED');
      expect(output(r, 'root/inner-optional/opt-nested')).toBe('absent');
      expect(output(r, 'root/inner-optional/nested-default')).toBe('world');
      expect(runCounts(dir)).toEqual({ hello: 1, again: 1, looped: 2, 'opt-unset': 1, 'opt-from-param': 1, 'with-default': 1, 'opt-nested': 1, 'nested-default': 1 });
    });

    test('a loop inside a condition, a condition inside a loop, a loop in a loop in a condition', async () => {
      const dir = stepWritableDir('combos');
      const r = await run('combos', { dir, go: true });
      expectSucceeded(r);
      expectStates(r, {
        'root/condition-1': 'SUCCEEDED',
        'root/condition-1/for-loop-3': 'SUCCEEDED',
        'root/condition-1/for-loop-3[0]/in-cond-loop': 'SUCCEEDED',
        'root/condition-1/for-loop-3[1]/in-cond-loop': 'SUCCEEDED',
        'root/condition-1/for-loop-3[0]/for-loop-5[1]/condition-6/deep': 'SUCCEEDED',
        'root/condition-1/for-loop-3[1]/for-loop-5[1]/condition-6/deep': 'SUCCEEDED',
        'root/for-loop-8': 'SUCCEEDED',
        'root/for-loop-8[2]/condition-branches-9/condition-10/picked': 'SUCCEEDED',
      });
      for (const i of [0, 1]) {
        expectNotTriggered(r, `root/condition-1/for-loop-3[${i}]/for-loop-5[0]/condition-6`);
        expectNeverStarted(r, `root/condition-1/for-loop-3[${i}]/for-loop-5[0]/condition-6/deep`);
      }
      for (const k of [0, 1, 3]) {
        expectNotTriggered(r, `root/for-loop-8[${k}]/condition-branches-9/condition-10`);
        expect(output(r, `root/for-loop-8[${k}]/condition-branches-9/condition-11/not-picked`)).toBe(String(k + 1));
      }
      expectNotTriggered(r, 'root/for-loop-8[2]/condition-branches-9/condition-11');
      expect(output(r, 'root/for-loop-8[2]/condition-branches-9/condition-10/picked')).toBe('3');
      expect([0, 1].map((i) => output(r, `root/condition-1/for-loop-3[${i}]/for-loop-5[1]/condition-6/deep`))).toEqual(['a2', 'b2']);
      expect(runCounts(dir)).toEqual({ 'in-cond-loop': 2, deep: 2, picked: 1, 'not-picked': 3 });
    });

    test('a false condition around a loop: the loop never starts', async () => {
      const dir = stepWritableDir('combos-off');
      const r = await run('combos', { dir, go: false });
      expectSucceeded(r);
      expectNotTriggered(r, 'root/condition-1');
      expectNeverStarted(r, 'root/condition-1/for-loop-3');
      expect(task(r, 'root/for-loop-8').state).toBe('SUCCEEDED');
      expect(runCounts(dir)).toEqual({ picked: 1, 'not-picked': 3 });
    });
  });

  describe('scale', () => {
    test('a 1,000-iteration ParallelFor succeeds, runs every iteration once, and keeps every workflow within Temporal limits', async () => {
      const r = await run('big_loop', {}, BIG_LOOP_TIMEOUT);
      expectSucceeded(r);
      expect(task(r, 'root/for-loop-2').state).toBe('SUCCEEDED');
      // The API summarises a run this size (100 of the loop's iterations); the store has every row.
      expect(r.run_details?.task_details?.filter((t) => t.parent_task_id === task(r, 'root/for-loop-2').task_id)).toHaveLength(100);
      expect(r.run_details?.task_count).toBe(2001);
      const noops = (await engine.store.listTasks(r.run_id)).filter((t) => /^root\/for-loop-2\[\d+\]\/noop$/.test(t.taskPath)).map((t) => [t.taskPath, t] as const);
      expect(noops).toHaveLength(1000);
      const indexes = new Set(noops.map(([path]) => Number(/\[(\d+)\]/.exec(path)?.[1])));
      expect(indexes.size).toBe(1000);
      expect(Math.min(...indexes)).toBe(0);
      expect(Math.max(...indexes)).toBe(999);
      expect(noops.filter(([, t]) => t.state !== 'SUCCEEDED' || t.attempts !== 1).map(([path, t]) => [path, t.state, t.attempts])).toEqual([]);

      const workflows = await runHistoryStats(engine.temporal, r.run_id);
      expect(workflows.map((w) => w.workflowId)).toContain(r.run_id);
      // Past the inline threshold the iterations run in child workflows (ir/fanout.ts).
      expect(workflows.length).toBeGreaterThan(1);
      const overLimit = workflows.filter((w) => w.events >= 51_200 || w.peakPendingActivities > 2_000 || w.peakPendingChildren > 2_000);
      expect(overLimit).toEqual([]);
    }, BIG_LOOP_TIMEOUT + 60_000);
  });
});

