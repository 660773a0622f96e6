/**
 * The root DAG of a validated spec as a list of task nodes in a deterministic topological order.
 * The planner walks this list; validation uses the same sort to find dependency cycles.
 */
import { SpecValidationError } from './errors';
import { ownValue } from './records';
import type { PipelineSpec, PipelineTaskSpec } from './types';

export interface TaskNode {
  /** The task's key in `root.dag.tasks`: its identity (KFP's `taskInfo.name` may differ). */
  name: string;
  componentName: string;
  executorLabel: string;
  /** Tasks that must succeed first: `dependentTasks` plus the producers of its inputs, without duplicates. */
  upstream: string[];
}

/**
 * The tasks `task` waits for: its `dependentTasks`, then the producers of its input parameters
 * and artifacts, each once, in that order. KFP's compiler lists producers in `dependentTasks`
 * too, but a hand-written spec need not.
 */
export function taskUpstream(task: PipelineTaskSpec): string[] {
  const producers = [
    ...Object.values(task.inputs?.parameters ?? {}).map((input) => input.taskOutputParameter?.producerTask),
    ...Object.values(task.inputs?.artifacts ?? {}).map((input) => input.taskOutputArtifact?.producerTask),
  ];
  const names = [...(task.dependentTasks ?? []), ...producers].filter((name): name is string => typeof name === 'string');
  return [...new Set(names)];
}

/**
 * Orders the root DAG's tasks so that every task comes after its upstream tasks; among tasks
 * that are ready at the same point, the one listed first in the spec comes first.
 *
 * @throws SpecValidationError if the graph has a cycle or a task's component has no executor
 *   (a validated spec has neither).
 */
export function buildTaskGraph(spec: PipelineSpec): TaskNode[] {
  const tasks = spec.root.dag.tasks;
  const names = Object.keys(tasks);
  const upstream = new Map(names.map((name) => [name, taskUpstream(tasks[name])]));
  const { order, cycle } = sortTopologically(names, (name) => upstream.get(name) ?? []);
  if (cycle) throw new SpecValidationError([{ path: 'root.dag.tasks', message: `dependency cycle: ${cycle.join(' -> ')}` }]);
  return order.map((name) => {
    const componentName = tasks[name].componentRef.name;
    const executorLabel = ownValue(spec.components, componentName)?.executorLabel;
    if (executorLabel === undefined) {
      throw new SpecValidationError([{ path: `root.dag.tasks.${name}`, message: `component "${componentName}" has no executor` }]);
    }
    return { name, componentName, executorLabel, upstream: upstream.get(name) ?? [] };
  });
}

/**
 * Kahn's algorithm with ties broken by position in `names`. Edges to names outside `names` are
 * ignored. When the graph has a cycle, `order` holds the tasks that could be sorted and `cycle`
 * one cycle, as a path that follows "waits for" edges and ends where it began (`a -> b -> a`).
 */
export function sortTopologically(
  names: readonly string[],
  upstreamOf: (name: string) => readonly string[],
): { order: string[]; cycle?: string[] } {
  const index = new Map(names.map((name, i) => [name, i]));
  const waitingOn = names.map(() => 0);
  const downstream: number[][] = names.map(() => []);
  names.forEach((name, i) => {
    for (const up of new Set(upstreamOf(name))) {
      const j = index.get(up);
      if (j === undefined) continue;
      waitingOn[i] += 1;
      downstream[j].push(i);
    }
  });
  const ready = new MinHeap();
  waitingOn.forEach((count, i) => {
    if (count === 0) ready.push(i);
  });
  const order: string[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    order.push(names[i]);
    for (const d of downstream[i]) if (--waitingOn[d] === 0) ready.push(d);
  }
  if (order.length === names.length) return { order };
  return { order, cycle: traceCycle(names, index, waitingOn, upstreamOf) };
}

// Every unsorted task still waits on an unsorted task, so following those edges must revisit one.
function traceCycle(
  names: readonly string[],
  index: Map<string, number>,
  waitingOn: number[],
  upstreamOf: (name: string) => readonly string[],
): string[] {
  const unsorted = (name: string) => {
    const i = index.get(name);
    return i !== undefined && waitingOn[i] > 0;
  };
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = names.find(unsorted);
  while (current !== undefined && !seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    current = upstreamOf(current).find(unsorted);
  }
  if (current === undefined) return path;
  return [...path.slice(seen.get(current)), current];
}

/** A binary min-heap of indices: the next ready task is the one earliest in the spec. */
class MinHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= items[i]) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left] < items[smallest]) smallest = left;
        if (right < items.length && items[right] < items[smallest]) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i], items[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}
