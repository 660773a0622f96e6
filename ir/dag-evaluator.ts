/**
 * The incremental evaluator of one DAG instance. It answers "may this task proceed" (every
 * upstream task is final, and the trigger strategy accepts their states); "should it run" (the
 * task's condition) is the caller's question, asked after it resolves the task's inputs, and its
 * answer comes back as a `NOT_TRIGGERED` end. Pure and deterministic, so the workflow can use it
 * and replay it; each event costs time proportional to the tasks it affects, never to the DAG's
 * size, so a 10,000-wide DAG plans as fast as a 10-wide one.
 */
import { SpecValidationError } from './errors';
import { sortTopologically, taskUpstream } from './graph';
import type { DagSpec } from './types';

/** How a task of the DAG ended. NOT_TRIGGERED: its condition was false, so it never ran. */
export type TaskEnd = 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'SKIPPED' | 'NOT_TRIGGERED';

/** Why a task is skipped without running. */
export type SkipReason = 'UPSTREAM_FAILED' | 'UPSTREAM_NOT_RUN' | 'RUN_CANCELED';

export type Decision =
  | { kind: 'proceed'; task: string }
  | { kind: 'skip'; task: string; reason: SkipReason; message: string };

/** The DAG's static shape: computed once per DAG component and shared by all its instances. */
export interface DagShape {
  /** Task names in a deterministic topological order (ties: spec order). */
  order: string[];
  upstream: ReadonlyMap<string, readonly string[]>;
  downstream: ReadonlyMap<string, readonly string[]>;
  /** Tasks whose trigger strategy is ALL_UPSTREAM_TASKS_COMPLETED (exit handlers, ignore_upstream_failure). */
  runAfterAnyEnd: ReadonlySet<string>;
}

/** @throws SpecValidationError on a dependency cycle (a validated spec has none). */
export function dagShape(dag: DagSpec): DagShape {
  const names = Object.keys(dag.tasks);
  const upstream = new Map(names.map((name) => [name, taskUpstream(dag.tasks[name]).filter((up) => Object.hasOwn(dag.tasks, up))]));
  const { order, cycle } = sortTopologically(names, (name) => upstream.get(name) ?? []);
  if (cycle) throw new SpecValidationError([{ path: 'dag.tasks', message: `dependency cycle: ${cycle.join(' -> ')}` }]);
  const downstream = new Map<string, string[]>(names.map((name) => [name, []]));
  for (const name of order) for (const up of upstream.get(name) ?? []) downstream.get(up)?.push(name);
  const runAfterAnyEnd = new Set(names.filter((name) => dag.tasks[name].triggerPolicy?.strategy === 'ALL_UPSTREAM_TASKS_COMPLETED'));
  return { order, upstream, downstream, runAfterAnyEnd };
}

const BLOCKING_FAILURE: ReadonlySet<TaskEnd> = new Set(['FAILED', 'CANCELED']);

export class DagEvaluator {
  private readonly waitingOn = new Map<string, number>();
  private readonly ends = new Map<string, TaskEnd>();
  private readonly proceeded = new Set<string>();
  private canceled = false;

  constructor(private readonly shape: DagShape) {
    for (const name of shape.order) this.waitingOn.set(name, shape.upstream.get(name)?.length ?? 0);
  }

  /** The first decisions: every task with no upstream task proceeds. */
  start(): Decision[] {
    return this.shape.order.filter((name) => this.waitingOn.get(name) === 0).map((task) => this.decide(task));
  }

  /**
   * Records how `task` ended and returns the decisions it unlocks, including skips that cascade
   * through tasks downstream of a skip. A second report for the same task changes nothing.
   */
  finished(task: string, end: TaskEnd): Decision[] {
    if (this.ends.has(task)) return [];
    this.ends.set(task, end);
    const decisions: Decision[] = [];
    const queue = [task];
    while (queue.length > 0) {
      const done = queue.shift() as string;
      for (const next of this.shape.downstream.get(done) ?? []) {
        const left = (this.waitingOn.get(next) ?? 0) - 1;
        this.waitingOn.set(next, left);
        if (left > 0 || this.ends.has(next)) continue;
        const decision = this.decide(next);
        decisions.push(decision);
        if (decision.kind === 'skip') {
          this.ends.set(next, 'SKIPPED');
          queue.push(next);
        }
      }
    }
    return decisions;
  }

  /**
   * The run was canceled: tasks that have not proceeded will not. Returns them (in order) so the
   * caller can record them CANCELED; tasks already running end through `finished`.
   */
  cancel(): string[] {
    this.canceled = true;
    const never = this.shape.order.filter((name) => !this.proceeded.has(name) && !this.ends.has(name));
    for (const name of never) this.ends.set(name, 'CANCELED');
    return never;
  }

  /** True once every task of the DAG has ended. */
  get done(): boolean {
    return this.ends.size === this.shape.order.length;
  }

  endOf(task: string): TaskEnd | undefined {
    return this.ends.get(task);
  }

  /**
   * The DAG's state once done: FAILED if any task failed, else CANCELED if any was canceled,
   * else SUCCEEDED. Tasks skipped or not triggered do not fail their DAG (KFP: a false branch
   * leaves its parent successful, which is what lets dsl.OneOf pick the branch that ran).
   */
  outcome(): 'SUCCEEDED' | 'FAILED' | 'CANCELED' {
    const ends = [...this.ends.values()];
    if (ends.includes('FAILED')) return 'FAILED';
    if (ends.includes('CANCELED') || this.canceled) return 'CANCELED';
    return 'SUCCEEDED';
  }

  private decide(task: string): Decision {
    if (this.canceled) return { kind: 'skip', task, reason: 'RUN_CANCELED', message: 'the run was canceled' };
    const upstream = this.shape.upstream.get(task) ?? [];
    if (!this.shape.runAfterAnyEnd.has(task)) {
      const failed = upstream.find((up) => BLOCKING_FAILURE.has(this.ends.get(up) as TaskEnd));
      if (failed !== undefined) {
        return { kind: 'skip', task, reason: 'UPSTREAM_FAILED', message: `upstream task "${failed}" ${this.ends.get(failed)?.toLowerCase()}` };
      }
      const notRun = upstream.find((up) => this.ends.get(up) !== 'SUCCEEDED');
      if (notRun !== undefined) {
        const how = this.ends.get(notRun) === 'NOT_TRIGGERED' ? 'was not triggered' : 'was skipped';
        return { kind: 'skip', task, reason: 'UPSTREAM_NOT_RUN', message: `upstream task "${notRun}" ${how}` };
      }
    }
    this.proceeded.add(task);
    return { kind: 'proceed', task };
  }
}
