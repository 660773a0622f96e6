/**
 * A loop large enough to run as child workflows (ir/fanout.ts) on the real stack: every child is
 * given only the loop body's part of the spec and of its inputs (ir/sub-spec.ts), read here from
 * the child's own history and decoded as its worker decodes it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePipelineDocument } from '../../ir/parse';
import type { DagSpec, PipelineSpec } from '../../ir/types';
import { runHistoryStats } from '../../stack/run-histories';
import type { DagBatchInput } from '../../workflows/dag-run';
import type { RunInput } from '../../workflows/types';
import { startTestEngine, type TestEngine } from '../support/engine';
import { compileKfpPipeline } from '../support/kfp-compile';
import { stepWritableDir } from '../support/temp-dirs';
import { workflowStartInput } from '../support/workflow-input';

const RUN_TIMEOUT = 10 * 60_000;
const WORDS = Array.from({ length: 101 }, (_, i) => `w${i}`);

/**
 * loop_children.py, with the loop body's nested pipeline made the very component the root runs:
 * kfp gives every task a copy of its own, but a spec may share one (the IR allows it, and other
 * compilers do), and then the child needs the shared component too.
 */
function sharedSpec(dir: string): string {
  const { spec } = parsePipelineDocument(readFileSync(compileKfpPipeline(join(__dirname, 'kfp-pipelines', 'loop_children.py'), dir), 'utf8'));
  (spec.components['comp-for-loop-1'].dag as DagSpec).tasks['inner-2'].componentRef.name = 'comp-inner';
  delete spec.components['comp-inner-2'];
  delete spec.components['comp-shout-2'];
  delete spec.deploymentSpec.executors['exec-shout-2'];
  const file = join(dir, 'loop-children-shared.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

describe('a large loop\'s child workflows', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    // Series off: the children run `FANOUT.tasksPerChild` tasks each (with series on, a loop whose
    // iterations all start gets fewer, larger children), so the 202-task loop makes three.
    engine = await startTestEngine('loop-children', { parallelism: 8, seriesWidth: 0 });
  }, 300_000);
  afterAll(async () => {
    await engine?.stop();
  });

  test('receive only the loop body\'s components, executors and inputs, and the run succeeds', async () => {
    const dir = stepWritableDir('loop-children');
    const { run_id } = await engine.createRun(sharedSpec(dir), { dir });
    const run = await engine.waitForRun(run_id, RUN_TIMEOUT);
    expect({ state: run.state, error: run.error?.message }).toEqual({ state: 'SUCCEEDED', error: undefined });
    // The API pages a run this size; the store has every task.
    const outputs = new Map((await engine.store.listTasks(run_id)).map((t) => [t.taskPath, t.outputs.parameters.out]));
    expect(outputs.get('root/report')).toBe('top!');
    expect(JSON.parse(String(outputs.get('root/show-shouts')))).toEqual(WORDS.map((w) => `${w}!`));
    const lines = readFileSync(join(dir, 'executions'), 'utf8').split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('shout:')).length).toBe(WORDS.length + 1);
    expect(lines.filter((l) => l.startsWith('tag:')).sort()).toEqual(WORDS.map((w) => `tag:${w}`).sort());

    const parent = await workflowStartInput<RunInput>(engine.temporal, run_id);
    const whole: PipelineSpec = parent.value.spec;
    const wholeSpecBytes = Buffer.byteLength(JSON.stringify(whole));
    const childIds = (await runHistoryStats(engine.temporal, run_id)).map((w) => w.workflowId).filter((id) => id !== run_id);
    // 2 tasks an iteration (inner's shout, tag): 50 iterations a child.
    expect(childIds.sort()).toEqual(['0-49', '50-99', '100-100'].map((block) => `${run_id}/root/for-loop-1/${block}`).sort());

    const seen: number[] = [];
    for (const id of childIds) {
      const child = await workflowStartInput<DagBatchInput>(engine.temporal, id);
      const { run: childRun, inputs, items, start } = child.value;
      console.log(`${id}: start input ${child.jsonBytes} bytes as JSON (${child.storedBytes} stored); the whole spec alone is ${wholeSpecBytes} bytes as JSON`);
      expect(child.jsonBytes).toBeLessThan(wholeSpecBytes);
      expect(Object.keys(childRun.spec.components).sort()).toEqual(['comp-for-loop-1', 'comp-inner', 'comp-shout', 'comp-tag']);
      expect(Object.keys(childRun.spec.deploymentSpec.executors).sort()).toEqual(['exec-shout', 'exec-tag']);
      expect(childRun.spec.root).toEqual({ dag: { tasks: {} } });
      const text = JSON.stringify(child.value);
      for (const unrelated of ['comp-report', 'comp-show-shouts', 'exec-report', 'exec-show-shouts']) expect({ unrelated, found: text.includes(unrelated) }).toEqual({ unrelated, found: false });
      // The body reads the run's `dir` through its own input; the list it iterates over rides along only as the child's slice.
      expect(childRun.parameters).toEqual({});
      expect(inputs).toEqual({ parameters: { 'pipelinechannel--dir': dir }, artifacts: {} });
      expect(items.items).toEqual(WORDS.slice(start, start + items.items.length));
      seen.push(items.items.length);
    }
    expect(seen.sort((a, b) => a - b)).toEqual([1, 50, 50]);
  }, RUN_TIMEOUT + 60_000);
});
