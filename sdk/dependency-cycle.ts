import type { PipelineTask } from './task';

/**
 * A dependency cycle among `tasks` as task names (first name repeated at the end), or undefined
 * when the graph is a DAG. Only `.after()` can close a cycle, since data flows from earlier calls.
 */
export function findDependencyCycle(tasks: readonly PipelineTask[]): string[] | undefined {
  const done = new Set<PipelineTask>();
  const path: PipelineTask[] = [];
  const visit = (task: PipelineTask): string[] | undefined => {
    const onPath = path.indexOf(task);
    if (onPath >= 0) return [...path.slice(onPath), task].map((t) => t.name);
    if (done.has(task)) return undefined;
    path.push(task);
    for (const upstream of task.upstream) {
      const cycle = visit(upstream);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(task);
    return undefined;
  };
  for (const task of tasks) {
    const cycle = visit(task);
    if (cycle) return cycle;
  }
  return undefined;
}
