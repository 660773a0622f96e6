/**
 * The rule for where a loop's iterations run: inline in the workflow that meets the loop, or as
 * child workflows that each run a block of iterations. Temporal allows 51,200 history events and
 * 2,000 pending activities or children per workflow; a container task costs about 6 to 8 events
 * (scheduled, started, completed, plus its share of workflow tasks and state batches), so the
 * thresholds keep every workflow of a run near 2,000 events at most (a loop's children in
 * series: see `tasksPerChildInSeries`).
 */
import { ownValue } from './records';
import type { ComponentSpec, PipelineSpec } from './types';

export const FANOUT = {
  /** A loop whose iterations × tasks per iteration is at most this runs inline. */
  inlineTasks: 200,
  /** Tasks one child workflow runs (its block is this many tasks' worth of iterations). */
  tasksPerChild: 100,
  /**
   * The same for a loop whose iterations all start at once and whose tasks run in series (no
   * `parallelismLimit`, series on): a series of up to 16 tasks costs three events, so such a child
   * of 500 no-op tasks makes ~250 events, and ~3,500 if every step outlives the series window
   * (each then its own activity). Fewer, larger children cost fewer workflow tasks and state
   * writes per task: each child batches only its own.
   */
  tasksPerChildInSeries: 500,
  /** Children of one loop running at once (each one pending child in the parent). */
  maxChildrenRunning: 50,
  /** Concurrency one child should get before the loop adds another child. */
  slotsPerChild: 8,
  /**
   * A DAG instance with more tasks than this runs its container tasks in child workflows of up
   * to `tasksPerChild` tasks each (a flat 8,000-task fan-out would otherwise be ~48,000 events).
   */
  inlineDagTasks: 1000,
} as const;

/** How a wide DAG's batches of ready tasks share the run's parallelism. */
export interface BatchPlacement {
  /** Children running at once. */
  running: number;
  /** Tasks one child runs at once. */
  slotsPerChild: number;
}

/** Whether the tasks of a DAG instance of `taskCount` tasks run in batches (see `FANOUT.inlineDagTasks`). */
export function runsInBatches(taskCount: number): boolean {
  return taskCount > FANOUT.inlineDagTasks;
}

/** Children (at most `children`) and their slots within a concurrency of `limit`: `running × slotsPerChild ≤ limit`. */
export function placeBatches(limit: number, children = Number.POSITIVE_INFINITY): BatchPlacement {
  const running = Math.max(1, Math.min(FANOUT.maxChildrenRunning, children, Math.ceil(limit / FANOUT.slotsPerChild)));
  return { running, slotsPerChild: Math.max(1, Math.floor(limit / running)) };
}

export type LoopPlacement =
  | { mode: 'inline' }
  | {
      mode: 'children';
      /** Consecutive iteration index ranges `[start, end)`, one per child. */
      blocks: { start: number; end: number }[];
      /** Children running at once. */
      running: number;
      /** Iterations one child runs at once. */
      slotsPerChild: number;
    };

/**
 * Where a loop of `iterations` iterations of `tasksPerIteration` tasks runs. `limit` is the
 * concurrency the loop may use (its `parallelismLimit`, capped by the run's parallelism); children
 * share it: `running × slotsPerChild ≤ limit`, so the loop never exceeds it. A child runs
 * `tasksPerChild` tasks' worth of iterations.
 */
export function placeLoop(iterations: number, tasksPerIteration: number, limit: number, tasksPerChild: number = FANOUT.tasksPerChild): LoopPlacement {
  if (iterations * tasksPerIteration <= FANOUT.inlineTasks) return { mode: 'inline' };
  const perChild = Math.max(1, Math.floor(tasksPerChild / Math.max(1, tasksPerIteration)));
  const blocks: { start: number; end: number }[] = [];
  for (let start = 0; start < iterations; start += perChild) blocks.push({ start, end: Math.min(iterations, start + perChild) });
  const { running, slotsPerChild } = placeBatches(limit, blocks.length);
  return { mode: 'children', blocks, running, slotsPerChild };
}

/**
 * How many tasks one instance of a DAG component runs: its tasks, counting a sub-DAG's tasks in
 * place of the sub-DAG and a nested loop as one (it places its own iterations when it runs).
 */
export function tasksPerInstance(spec: PipelineSpec, component: ComponentSpec, depth = 0): number {
  let count = 0;
  for (const task of Object.values(component.dag?.tasks ?? {})) {
    const child = ownValue(spec.components, task.componentRef.name);
    const isLoop = task.parameterIterator !== undefined || task.artifactIterator !== undefined;
    count += child?.dag && !isLoop && depth < 20 ? tasksPerInstance(spec, child, depth + 1) : 1;
  }
  return Math.max(1, count);
}
