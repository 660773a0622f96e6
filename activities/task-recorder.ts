import type { ArtifactRef } from '../ir/types';
import type { MetadataStore, RunError } from '../store/types';
import type { TaskOutputs } from '../ir/types';
import type { TaskActivityInput, TaskActivityResult } from './types';

/**
 * Every store write of one task, as idempotent upserts keyed by (run, task, launch): a retried
 * or replayed activity writes the same rows again and changes nothing.
 */
export class TaskRecorder {
  constructor(
    private readonly store: MetadataStore,
    private readonly input: TaskActivityInput,
  ) {}

  private get key() {
    return { runId: this.input.runId, taskName: this.input.taskPath };
  }

  async started(launch: number, podName: string, logUri: string): Promise<void> {
    const inputArtifactIds = await this.registerArtifacts(this.input.inputs.artifacts, 'INPUT');
    const now = new Date();
    await this.store.upsertTaskAttempt({ ...this.key, attempt: launch, state: 'RUNNING', podName, logUri, startedAt: now });
    await this.store.upsertTask({
      ...this.key,
      componentName: this.input.componentName,
      state: 'RUNNING',
      inputs: { parameters: this.input.inputs.parameters, artifacts: inputArtifactIds },
      attempts: launch,
      podName,
      startedAt: launch === 1 ? now : undefined,
    });
  }

  async succeeded(launch: number, outputs: TaskOutputs): Promise<void> {
    const artifactIds = await this.registerArtifacts(outputs.artifacts, 'OUTPUT');
    const now = new Date();
    await this.store.upsertTaskAttempt({ ...this.key, attempt: launch, state: 'SUCCEEDED', exitCode: 0, finishedAt: now });
    await this.store.upsertTask({
      ...this.key,
      state: 'SUCCEEDED',
      outputs: { parameters: outputs.parameters, artifacts: artifactIds },
      attempts: launch,
      finishedAt: now,
    });
  }

  /** `last`: no launch follows, so the task itself fails; otherwise it stays RUNNING for the retry. */
  async failed(launch: number, error: RunError, exitCode: number | undefined, last: boolean): Promise<void> {
    const now = new Date();
    await this.store.upsertTaskAttempt({ ...this.key, attempt: launch, state: 'FAILED', exitCode, error, finishedAt: now });
    await this.store.upsertTask({ ...this.key, state: last ? 'FAILED' : 'RUNNING', error, attempts: launch, finishedAt: last ? now : undefined });
  }

  async canceled(launch: number): Promise<void> {
    const now = new Date();
    const error = { message: `task ${this.input.taskPath} was canceled`, type: 'Canceled' };
    await this.store.upsertTaskAttempt({ ...this.key, attempt: launch, state: 'CANCELED', error, finishedAt: now });
    await this.store.upsertTask({ ...this.key, state: 'CANCELED', error, finishedAt: now });
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
        artifacts[key].push({ name: a.name, uri: a.uri, schemaTitle: a.schemaTitle, schemaVersion: a.schemaVersion, metadata: a.metadata });
      }
    }
    return { outputs: { parameters: task.outputs.parameters, artifacts }, attempts: launch, podName };
  }

  private async registerArtifacts(byKey: Record<string, ArtifactRef[]>, direction: 'INPUT' | 'OUTPUT'): Promise<Record<string, string[]>> {
    const ids: Record<string, string[]> = {};
    for (const [key, refs] of Object.entries(byKey)) {
      ids[key] = [];
      for (const ref of refs) {
        const record = await this.store.upsertArtifact({
          ...ref,
          runId: this.input.runId,
          producerTask: direction === 'OUTPUT' ? this.input.taskPath : undefined,
          outputKey: direction === 'OUTPUT' ? key : undefined,
        });
        await this.store.addLineage({ artifactId: record.artifactId, runId: this.input.runId, taskName: this.input.taskPath, direction, key });
        ids[key].push(record.artifactId);
      }
    }
    return ids;
  }
}
