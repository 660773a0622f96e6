import type { ResourceRequirements } from '../ir/resources';
import { ROOT_PATH, parentPath } from '../ir/task-path';
import type { ArtifactRef, TaskOutputs } from '../ir/types';
import { toArtifactRef } from '../store/rows';
import type { LaunchRecord, MetadataStore, RunError } from '../store/types';
import type { TaskActivityInput, TaskActivityResult } from './types';

/**
 * Every store write of one task's launches. Each outcome (started, succeeded, failed, canceled)
 * is one `recordLaunch` transaction: attempt row, task row, artifacts and lineage land together
 * or not at all. The writes are idempotent, keyed by (run, task path, launch), so a retried or
 * replayed activity writes the same rows again and changes nothing; a reattached launch keeps
 * its task's first start time.
 */
export class TaskRecorder {
  constructor(
    private readonly store: MetadataStore,
    private readonly input: TaskActivityInput,
    private readonly kind: 'CONTAINER' | 'IMPORTER' = 'CONTAINER',
  ) {}

  async started(launch: number, podName: string, logUri: string, resources?: ResourceRequirements): Promise<void> {
    await this.record({
      task: { state: 'RUNNING', inputParameters: this.input.inputs.parameters },
      attempt: { attempt: launch, state: 'RUNNING', podName, logUri, resources },
      inputArtifacts: this.input.inputs.artifacts,
    });
  }

  async succeeded(launch: number, outputs: TaskOutputs): Promise<void> {
    await this.record({
      task: { state: 'SUCCEEDED', outputParameters: outputs.parameters },
      attempt: { attempt: launch, state: 'SUCCEEDED', exitCode: 0 },
      outputArtifacts: outputs.artifacts,
    });
  }

  /** `last`: no launch follows, so the task itself fails; otherwise it stays RUNNING for the retry. */
  async failed(launch: number, error: RunError, exitCode: number | undefined, last: boolean): Promise<void> {
    await this.record({
      task: { state: last ? 'FAILED' : 'RUNNING', error },
      attempt: { attempt: launch, state: 'FAILED', exitCode, error },
    });
  }

  async canceled(launch: number): Promise<void> {
    const error = { message: `task ${this.input.taskPath} was canceled`, type: 'Canceled' };
    await this.record({ task: { state: 'CANCELED', error }, attempt: { attempt: launch, state: 'CANCELED', error } });
  }

  /** The result an earlier attempt recorded before its worker died, rebuilt from the store. */
  async recordedResult(launch: number, podName: string): Promise<TaskActivityResult> {
    const task = await this.store.getTask(this.input.runId, this.input.taskPath);
    if (!task) throw new Error(`task ${this.input.taskPath} of run ${this.input.runId} has a succeeded launch but no task row`);
    const artifacts: Record<string, ArtifactRef[]> = {};
    for (const [key, ids] of Object.entries(task.outputs.artifacts)) {
      artifacts[key] = [];
      for (const id of ids) {
        const a = await this.store.getArtifact(id);
        if (!a) throw new Error(`artifact ${id} (output ${key} of ${this.input.taskPath}) is missing from the store`);
        artifacts[key].push(toArtifactRef(a));
      }
    }
    return { outputs: { parameters: task.outputs.parameters, artifacts }, attempts: launch, podName };
  }

  private record(outcome: {
    task: Pick<LaunchRecord['task'], 'state' | 'inputParameters' | 'outputParameters' | 'error'>;
    attempt: LaunchRecord['attempt'];
    inputArtifacts?: LaunchRecord['inputArtifacts'];
    outputArtifacts?: LaunchRecord['outputArtifacts'];
  }): Promise<void> {
    const { runId, taskPath, displayName, componentName } = this.input;
    const parent = parentPath(taskPath);
    return this.store.recordLaunch({
      ...outcome,
      runId,
      task: {
        ...outcome.task,
        taskPath,
        displayName,
        parentTaskPath: parent === ROOT_PATH ? undefined : parent,
        kind: this.kind,
        componentName,
      },
      at: new Date(),
    });
  }
}
