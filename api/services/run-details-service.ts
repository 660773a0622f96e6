import { buildTaskGraph } from '../../ir/graph';
import { isFinal } from '../../ir/states';
import type { PipelineSpec } from '../../ir/types';
import { taskIdFor } from '../../store/ids';
import type { MetadataStore, RunRecord, TaskAttemptRecord } from '../../store/types';
import type { TaskView } from '../converters/tasks';
import { NotFoundError } from '../errors';
import { mergeLiveState } from './live-state';
import type { RunWorkflows } from './run-workflows';

export interface RunDetails {
  run: RunRecord;
  tasks: TaskView[];
}

/** One run with its tasks: the store's record, brought up to date by the workflow while it runs. */
export class RunDetailsService {
  constructor(
    private readonly store: MetadataStore,
    private readonly workflows: RunWorkflows,
  ) {}

  /**
   * Reads the run, its tasks and their attempts. While the run is not final its workflow is
   * asked for live state; when that fails (no worker running) the store's view is returned alone.
   */
  async get(runId: string): Promise<RunDetails> {
    const stored = await this.store.getRun(runId);
    if (!stored) throw new NotFoundError('run', runId);
    const [storedTasks, attempts, live] = await Promise.all([
      this.store.listTasks(runId),
      this.store.listTaskAttempts(runId),
      isFinal(stored.state) ? undefined : this.workflows.snapshot(runId),
    ]);
    const { run, tasks } = live ? mergeLiveState(stored, storedTasks, live) : { run: stored, tasks: storedTasks };
    const attemptsOf = attemptsByTask(attempts);
    const children = dependentsByTask(run.spec);
    return {
      run,
      tasks: tasks.map((task) => ({
        task,
        attempts: attemptsOf.get(task.taskName) ?? [],
        childTaskIds: (children.get(task.taskName) ?? []).map((name) => taskIdFor(runId, name)),
      })),
    };
  }
}

/**
 * For each task, the tasks that wait for it, from the same graph the workflow plans with (so
 * data dependencies count as well as `dependentTasks`).
 */
function dependentsByTask(spec: PipelineSpec): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const node of buildTaskGraph(spec)) {
    for (const upstream of node.upstream) dependents.set(upstream, [...(dependents.get(upstream) ?? []), node.name]);
  }
  return dependents;
}

function attemptsByTask(attempts: readonly TaskAttemptRecord[]): Map<string, TaskAttemptRecord[]> {
  const byTask = new Map<string, TaskAttemptRecord[]>();
  for (const a of attempts) byTask.set(a.taskName, [...(byTask.get(a.taskName) ?? []), a]);
  return byTask;
}
