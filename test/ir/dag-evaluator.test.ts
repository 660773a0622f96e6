import { DagEvaluator, dagShape, type Decision } from '../../ir/dag-evaluator';
import type { DagSpec, PipelineTaskSpec } from '../../ir/types';

function task(after: string[] = [], strategy?: string): PipelineTaskSpec {
  return { taskInfo: { name: 'x' }, componentRef: { name: 'comp' }, dependentTasks: after, ...(strategy ? { triggerPolicy: { strategy } } : {}) };
}

function dag(tasks: Record<string, PipelineTaskSpec>): DagSpec {
  return { tasks };
}

const proceeding = (decisions: Decision[]) => decisions.filter((d) => d.kind === 'proceed').map((d) => d.task);
const skipped = (decisions: Decision[]) => decisions.filter((d) => d.kind === 'skip').map((d) => [d.task, d.kind === 'skip' ? d.reason : '']);

describe('DagEvaluator', () => {
  test('tasks proceed as their upstream tasks succeed, not level by level', () => {
    const ev = new DagEvaluator(dagShape(dag({ a: task(), b: task(['a']), c: task(), d: task(['b', 'c']) })));
    expect(proceeding(ev.start())).toEqual(['a', 'c']);
    expect(proceeding(ev.finished('a', 'SUCCEEDED'))).toEqual(['b']);
    expect(proceeding(ev.finished('b', 'SUCCEEDED'))).toEqual([]);
    expect(proceeding(ev.finished('c', 'SUCCEEDED'))).toEqual(['d']);
    expect(ev.done).toBe(false);
    ev.finished('d', 'SUCCEEDED');
    expect(ev.done).toBe(true);
    expect(ev.outcome()).toBe('SUCCEEDED');
  });

  test('a failure skips its dependents transitively while independent tasks go on', () => {
    const ev = new DagEvaluator(dagShape(dag({ a: task(), b: task(['a']), c: task(['b']), other: task() })));
    ev.start();
    expect(skipped(ev.finished('a', 'FAILED'))).toEqual([['b', 'UPSTREAM_FAILED'], ['c', 'UPSTREAM_NOT_RUN']]);
    expect(ev.done).toBe(false);
    ev.finished('other', 'SUCCEEDED');
    expect(ev.done).toBe(true);
    expect(ev.outcome()).toBe('FAILED');
  });

  test('ALL_UPSTREAM_TASKS_COMPLETED (exit handlers, ignore_upstream_failure) runs after a failure', () => {
    const ev = new DagEvaluator(dagShape(dag({ group: task(), exit: task(['group'], 'ALL_UPSTREAM_TASKS_COMPLETED') })));
    ev.start();
    expect(proceeding(ev.finished('group', 'FAILED'))).toEqual(['exit']);
    ev.finished('exit', 'SUCCEEDED');
    expect(ev.outcome()).toBe('FAILED');
  });

  test('a branch that was not triggered leaves its DAG successful and skips what waits on it', () => {
    const ev = new DagEvaluator(dagShape(dag({ 'condition-1': task(), 'condition-2': task(), after: task(['condition-1']) })));
    expect(proceeding(ev.start())).toEqual(['condition-1', 'condition-2']);
    expect(skipped(ev.finished('condition-1', 'NOT_TRIGGERED'))).toEqual([['after', 'UPSTREAM_NOT_RUN']]);
    ev.finished('condition-2', 'SUCCEEDED');
    expect(ev.outcome()).toBe('SUCCEEDED');
  });

  test('cancel stops every task that has not proceeded; later decisions are cancel skips', () => {
    const ev = new DagEvaluator(dagShape(dag({ a: task(), b: task(['a']), c: task(['b']) })));
    ev.start();
    expect(ev.cancel()).toEqual(['b', 'c']);
    expect(ev.finished('a', 'CANCELED')).toEqual([]);
    expect(ev.done).toBe(true);
    expect(ev.outcome()).toBe('CANCELED');
  });

  test('a repeated report changes nothing', () => {
    const ev = new DagEvaluator(dagShape(dag({ a: task(), b: task(['a']) })));
    ev.start();
    expect(proceeding(ev.finished('a', 'SUCCEEDED'))).toEqual(['b']);
    expect(ev.finished('a', 'SUCCEEDED')).toEqual([]);
  });

  test('a 10,000-wide fan-out and its join', () => {
    const tasks: Record<string, PipelineTaskSpec> = { root: task() };
    for (let i = 0; i < 10_000; i++) tasks[`t${i}`] = task(['root']);
    tasks.join = task(Object.keys(tasks).filter((n) => n !== 'root'));
    const ev = new DagEvaluator(dagShape(dag(tasks)));
    ev.start();
    expect(proceeding(ev.finished('root', 'SUCCEEDED'))).toHaveLength(10_000);
    let last: Decision[] = [];
    for (let i = 0; i < 10_000; i++) last = ev.finished(`t${i}`, 'SUCCEEDED');
    expect(proceeding(last)).toEqual(['join']);
  });
});
