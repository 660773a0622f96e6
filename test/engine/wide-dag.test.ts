import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FANOUT } from '../../ir/fanout';
import type { PipelineSpec } from '../../ir/types';
import { runHistoryStats, TEMPORAL_LIMITS } from '../../stack/run-histories';
import { startTestEngine, type TestEngine } from '../support/engine';

const WIDTH = FANOUT.inlineDagTasks + 100;

/**
 * A flat DAG wider than `FANOUT.inlineDagTasks`: `WIDTH` independent no-op tasks, a producer
 * whose output a consumer checks, and a failing task after the consumer.
 */
function wideSpec(): PipelineSpec {
  const tasks: PipelineSpec['root']['dag']['tasks'] = {};
  for (let i = 1; i <= WIDTH; i++) tasks[`noop-${i}`] = { taskInfo: { name: `noop-${i}` }, componentRef: { name: 'comp-noop' } };
  tasks.producer = { taskInfo: { name: 'producer' }, componentRef: { name: 'comp-producer' } };
  tasks.consumer = {
    taskInfo: { name: 'consumer' },
    componentRef: { name: 'comp-consumer' },
    dependentTasks: ['producer'],
    inputs: { parameters: { value: { taskOutputParameter: { producerTask: 'producer', outputParameterKey: 'out' } } } },
  };
  tasks.fail = { taskInfo: { name: 'fail' }, componentRef: { name: 'comp-fail' }, dependentTasks: ['consumer'] };
  const sh = (script: string, ...args: string[]) => ({ container: { image: 'busybox', command: ['sh', '-c', script, ...args] } });
  return {
    pipelineInfo: { name: 'wide-dag' },
    schemaVersion: '2.1.0',
    sdkVersion: 'sluice-test',
    root: { dag: { tasks } },
    components: {
      'comp-noop': { executorLabel: 'exec-noop' },
      'comp-producer': { executorLabel: 'exec-producer', outputDefinitions: { parameters: { out: { parameterType: 'STRING' } } } },
      'comp-consumer': { executorLabel: 'exec-consumer', inputDefinitions: { parameters: { value: { parameterType: 'STRING' } } } },
      'comp-fail': { executorLabel: 'exec-fail' },
    },
    deploymentSpec: {
      executors: {
        'exec-noop': { container: { image: 'busybox', command: ['true'] } },
        'exec-producer': sh('mkdir -p "$(dirname "$0")" && printf hello > "$0"', "{{$.outputs.parameters['out'].output_file}}"),
        'exec-consumer': sh('test "$0" = hello', "{{$.inputs.parameters['value']}}"),
        'exec-fail': sh('exit 3'),
      },
    },
  };
}

describe('a DAG wider than the inline threshold', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('wide-dag', { parallelism: 64 });
  }, 120_000);
  afterAll(async () => {
    await engine?.stop();
  });

  test('runs its tasks in batch child workflows: every task once, outputs across batches, the failure reported, every history small', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-wide-')), 'wide.json');
    writeFileSync(file, JSON.stringify(wideSpec()));
    const { run_id } = await engine.createRun(file);
    const run = await engine.waitForRun(run_id, 10 * 60_000);
    expect(run.state).toBe('FAILED');
    expect(run.error?.message).toMatch(/exit code 3/);

    const tasks = await engine.store.listTasks(run_id);
    const byPath = new Map(tasks.map((t) => [t.taskPath, t]));
    const noops = tasks.filter((t) => /^root\/noop-\d+$/.test(t.taskPath));
    expect(noops).toHaveLength(WIDTH);
    expect(noops.filter((t) => t.state !== 'SUCCEEDED' || t.attempts !== 1).map((t) => [t.taskPath, t.state, t.attempts])).toEqual([]);
    expect(byPath.get('root/consumer')?.state).toBe('SUCCEEDED');
    expect(byPath.get('root/consumer')?.inputs.parameters).toEqual({ value: 'hello' });
    expect(byPath.get('root/fail')?.state).toBe('FAILED');

    const workflows = await runHistoryStats(engine.temporal, run_id);
    const root = workflows.find((w) => w.workflowId === run_id);
    // Batches of at most FANOUT.tasksPerChild tasks: the root holds children, not ~6 events per task.
    expect(workflows.length - 1).toBeGreaterThanOrEqual(Math.ceil(WIDTH / FANOUT.tasksPerChild));
    expect(root?.events).toBeLessThan(WIDTH);
    expect(root?.peakPendingActivities).toBeLessThanOrEqual(2);
    const overLimit = workflows.filter((w) => w.events >= TEMPORAL_LIMITS.historyEvents || w.peakPendingActivities > TEMPORAL_LIMITS.pendingActivities || w.peakPendingChildren > TEMPORAL_LIMITS.pendingChildren);
    expect(overLimit).toEqual([]);
  }, 12 * 60_000);
});
