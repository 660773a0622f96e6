import type { ResourceRequirements } from '../ir/resources';
import { ROOT_PATH, parentPath } from '../ir/task-path';
import type { ArtifactRef, TaskOutputs } from '../ir/types';
import { toArtifactRef } from '../store/rows';
import type { CacheScope, LaunchRecord, MetadataStore, RunError, TaskCacheInfo, TaskRecord } from '../store/types';
import type { TaskActivityInput, TaskActivityResult } from './types';

/**
 * Every store write of one task's launches. Each outcome (started, succeeded, failed, canceled)
 * is one `recordLaunch` transaction: attempt row, task row, artifacts and lineage land together
 * or not at all. The writes are idempotent, keyed by (run, task path, launch), so a retried or
 * replayed activity writes the same rows again and changes nothing; a reattached launch keeps
 * its task's first start time.
 */
export class TaskRecorder {
  /** The last record made: each waits for the one before it (see `record`). */
  private written: Promise<unknown> = Promise.resolve();
  /** A start not written yet (`startedSoon`): the launch's end, if it comes first, carries it. */
  private pendingStart?: { launch: number; record: StartRecord; at: Date; timer: NodeJS.Timeout };

  constructor(
    private readonly store: MetadataStore,
    private readonly input: TaskActivityInput,
    private readonly kind: 'CONTAINER' | 'IMPORTER' = 'CONTAINER',
    /** Set when the task's success is to become the cache entry for its fingerprint. */
    private readonly cacheEntry?: CacheScope & { fingerprint: string },
  ) {}

  /** `cache`: the cache decision that led to this launch, recorded with the first one. */
  async started(launch: number, podName: string, logUri: string, resources?: ResourceRequirements, cache?: TaskCacheInfo): Promise<void> {
    await this.record(this.startOf(launch, podName, logUri, resources, cache));
  }

  /**
   * Records the start of `launch` at `at` (as `started` would) `withinMs` from now, or with the
   * launch's end if that comes first: a short step's start and end are then one
   * statement. Nothing depends on the start record but what it shows: a launch is found again by
   * the runner's own records, and `flushStart` writes it before the activity hands a running
   * launch on or fails.
   */
  startedSoon(launch: number, at: Date, withinMs: number, podName: string, logUri: string, resources?: ResourceRequirements, cache?: TaskCacheInfo): void {
    const record = this.startOf(launch, podName, logUri, resources, cache);
    const timer = setTimeout(() => void this.flushStart().catch(() => undefined), withinMs);
    this.pendingStart = { launch, record, at, timer };
  }

  /** Writes the start `startedSoon` holds, if no record carried it yet. */
  flushStart(): Promise<void> {
    const pending = this.takeStart();
    if (!pending) return Promise.resolve();
    return this.record(pending.record, pending.at).catch((err: unknown) => {
      // Not written: the launch's next record carries it, as if it had not been due yet.
      this.pendingStart ??= pending;
      throw err;
    });
  }

  async succeeded(launch: number, outputs: TaskOutputs): Promise<void> {
    await this.record({
      task: { state: 'SUCCEEDED', outputParameters: outputs.parameters },
      attempt: { attempt: launch, state: 'SUCCEEDED', exitCode: 0 },
      outputArtifacts: outputs.artifacts,
      cacheEntry: this.cacheEntry,
    });
  }

  /**
   * Served from cache, as KFP records it: no launch, the task SKIPPED (KFP's API state for a
   * cached task) with reason CACHED, the cached execution's parameters and artifacts as its
   * outputs (linked as OUTPUT lineage, still owned by their producer), its inputs linked as INPUT.
   */
  async cached(cache: TaskCacheInfo, outputs: TaskOutputs): Promise<void> {
    await this.record({
      task: { state: 'SKIPPED', inputParameters: this.input.inputs.parameters, outputParameters: outputs.parameters, cache },
      inputArtifacts: this.input.inputs.artifacts,
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
    return { outputs: await recordedOutputs(this.store, task), attempts: launch, podName, cachedFrom: task.cache?.cachedFrom };
  }

  private startOf(launch: number, podName: string, logUri: string, resources?: ResourceRequirements, cache?: TaskCacheInfo): StartRecord {
    return {
      task: { state: 'RUNNING', inputParameters: this.input.inputs.parameters, cache },
      attempt: { attempt: launch, state: 'RUNNING', podName, logUri, resources },
      inputArtifacts: this.input.inputs.artifacts,
    };
  }

  private takeStart(): TaskRecorder['pendingStart'] {
    const pending = this.pendingStart;
    if (pending) clearTimeout(pending.timer);
    this.pendingStart = undefined;
    return pending;
  }

  /** `at`: when it happened, now unless said. An outcome of the launch whose start is pending carries that start. */
  private record(outcome: Outcome, at = new Date()): Promise<void> {
    const { runId, taskPath, displayName, componentName } = this.input;
    const parent = parentPath(taskPath);
    const start = outcome.attempt && this.pendingStart?.launch === outcome.attempt.attempt ? this.takeStart() : undefined;
    const launch: LaunchRecord = {
      ...start?.record,
      ...outcome,
      ...(start ? { startedAt: start.at } : {}),
      runId,
      task: {
        ...start?.record.task,
        ...outcome.task,
        taskPath,
        displayName,
        parentTaskPath: parent === ROOT_PATH ? undefined : parent,
        kind: this.kind,
        componentName,
      },
      ...(outcome.attempt ? { attempt: { ...start?.record.attempt, ...outcome.attempt } } : {}),
      at,
    };
    // A launch's records land in the order they were made, each once the one before has settled
    // (written or failed): `runTask` writes the start record while the step starts, and a
    // failure or cancellation found meanwhile must not be overwritten by it.
    const write = this.written.catch(() => undefined).then(() => this.store.recordLaunch(launch));
    this.written = write;
    return write;
  }
}

type Outcome = {
  task: Pick<LaunchRecord['task'], 'state' | 'inputParameters' | 'outputParameters' | 'error' | 'cache'>;
  attempt?: LaunchRecord['attempt'];
  inputArtifacts?: LaunchRecord['inputArtifacts'];
  outputArtifacts?: LaunchRecord['outputArtifacts'];
  cacheEntry?: LaunchRecord['cacheEntry'];
};

type StartRecord = Outcome & { attempt: NonNullable<Outcome['attempt']> };

/**
 * A task's recorded outputs with their artifacts read back from the store.
 * @throws Error naming the artifact when one of its ids has no artifact row.
 */
export async function recordedOutputs(store: MetadataStore, task: TaskRecord): Promise<TaskOutputs> {
  const artifacts: Record<string, ArtifactRef[]> = {};
  for (const [key, ids] of Object.entries(task.outputs.artifacts)) {
    artifacts[key] = [];
    for (const id of ids) {
      const a = await store.getArtifact(id);
      if (!a) throw new Error(`artifact ${id} (output ${key} of ${task.taskPath} of run ${task.runId}) is missing from the store`);
      artifacts[key].push(toArtifactRef(a));
    }
  }
  return { parameters: task.outputs.parameters, artifacts };
}
