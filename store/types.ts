import type { ArtifactRef, ParameterValue, PipelineSpec } from '../ir/types';
import type { RunState, TaskState } from '../ir/states';

/**
 * The metadata store's contract. PostgreSQL implements it (`store/pg-store.ts`); the activities
 * write through it and the API reads through it. Every write is an idempotent upsert keyed by
 * stable ids, so an activity retry or a workflow replay never adds a duplicate row.
 * Times are `Date` objects (UTC); ids are strings (UUIDs unless stated).
 */

export interface Page<T> {
  items: T[];
  totalSize: number;
  /** Opaque token for the next page; undefined on the last page. */
  nextPageToken?: string;
}

/**
 * Listing options. `sortBy` follows KFP: `"created_at"` or `"created_at desc"` (also `name`/
 * `display_name`, `finished_at`, `state` where the entity has them). An unknown sort field
 * throws `StoreInputError`, and so does a malformed page token.
 */
export interface ListOptions {
  pageSize?: number;
  pageToken?: string;
  sortBy?: string;
}

export interface PipelineRecord {
  pipelineId: string;
  name: string;
  displayName: string;
  description: string;
  namespace: string;
  createdAt: Date;
}

export interface PipelineVersionRecord {
  pipelineVersionId: string;
  pipelineId: string;
  name: string;
  displayName: string;
  description: string;
  spec: PipelineSpec;
  /** Second YAML document of a KFP upload (Kubernetes platform config), when present. */
  platformSpec?: Record<string, unknown>;
  createdAt: Date;
}

export interface ExperimentRecord {
  experimentId: string;
  displayName: string;
  description: string;
  namespace: string;
  storageState: 'AVAILABLE' | 'ARCHIVED';
  createdAt: Date;
  lastRunCreatedAt?: Date;
}

export interface RunStateChange {
  state: RunState;
  at: Date;
  error?: RunError;
}

export interface RunError {
  message: string;
  /** Failure type shown by the API, e.g. `StepFailed`, `InvalidSpec`. */
  type?: string;
  details?: Record<string, unknown>;
}

export interface RunRecord {
  runId: string;
  displayName: string;
  description: string;
  experimentId: string;
  pipelineId?: string;
  pipelineVersionId?: string;
  /** The spec the run executes (copied at creation, so deleting a version never breaks a run). */
  spec: PipelineSpec;
  parameters: Record<string, ParameterValue>;
  pipelineRoot?: string;
  state: RunState;
  error?: RunError;
  storageState: 'AVAILABLE' | 'ARCHIVED';
  createdAt: Date;
  scheduledAt: Date;
  finishedAt?: Date;
  stateHistory: RunStateChange[];
}

/** One step of a run. The row is keyed by (runId, taskName); each launch is a `TaskAttemptRecord`. */
export interface TaskRecord {
  runId: string;
  /** The task's name in the DAG (`taskInfo.name`), unique within a run. */
  taskName: string;
  /** Stable id of the task within the run, derived from run id and task name. */
  taskId: string;
  componentName: string;
  state: TaskState;
  /** Resolved inputs: parameter values and input artifact ids. */
  inputs: { parameters: Record<string, ParameterValue>; artifacts: Record<string, string[]> };
  /** Collected outputs: parameter values and output artifact ids. */
  outputs: { parameters: Record<string, ParameterValue>; artifacts: Record<string, string[]> };
  /** Number of launches so far (1 for a task that ran once). */
  attempts: number;
  /** Process name (local runner) or pod name (Kubernetes) of the latest launch. */
  podName?: string;
  error?: RunError;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

export interface TaskAttemptRecord {
  runId: string;
  taskName: string;
  attempt: number;
  state: TaskState;
  podName: string;
  exitCode?: number;
  error?: RunError;
  /** Artifact-store URI of this launch's combined stdout/stderr log. */
  logUri: string;
  startedAt: Date;
  finishedAt?: Date;
}

export interface ArtifactRecord extends ArtifactRef {
  /** Derived from the URI, so registering the same payload twice yields the same id. */
  artifactId: string;
  runId: string;
  /** Producer task name, or undefined for an imported/pipeline-input artifact. */
  producerTask?: string;
  outputKey?: string;
  createdAt: Date;
}

export interface LineageEdge {
  artifactId: string;
  runId: string;
  taskName: string;
  direction: 'INPUT' | 'OUTPUT';
  /** Input or output key on the task. */
  key: string;
}

export interface RunFilter {
  experimentId?: string;
  /** Any of these states. */
  states?: RunState[];
  storageState?: 'AVAILABLE' | 'ARCHIVED';
}

export interface MetadataStore {
  /** Creates tables and indexes; safe to call on every start. Also ensures the `Default` experiment. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // Pipelines and versions. Names are unique among pipelines (StoreConflictError otherwise).
  createPipeline(p: Omit<PipelineRecord, 'createdAt'>): Promise<PipelineRecord>;
  getPipeline(pipelineId: string): Promise<PipelineRecord | undefined>;
  getPipelineByName(name: string, namespace?: string): Promise<PipelineRecord | undefined>;
  listPipelines(opts: ListOptions): Promise<Page<PipelineRecord>>;
  /** Deletes the pipeline and its versions (runs keep their copied spec). */
  deletePipeline(pipelineId: string): Promise<boolean>;
  createPipelineVersion(v: Omit<PipelineVersionRecord, 'createdAt'>): Promise<PipelineVersionRecord>;
  /** Creates the pipeline and its first version in one transaction: nothing is half-written. */
  createPipelineWithVersion(
    p: Omit<PipelineRecord, 'createdAt'>,
    v: Omit<PipelineVersionRecord, 'createdAt' | 'pipelineId'>,
  ): Promise<{ pipeline: PipelineRecord; version: PipelineVersionRecord }>;
  getPipelineVersion(pipelineId: string, versionId: string): Promise<PipelineVersionRecord | undefined>;
  listPipelineVersions(pipelineId: string, opts: ListOptions): Promise<Page<PipelineVersionRecord>>;
  deletePipelineVersion(pipelineId: string, versionId: string): Promise<boolean>;

  // Experiments. The `Default` experiment always exists.
  getDefaultExperiment(): Promise<ExperimentRecord>;
  createExperiment(e: Pick<ExperimentRecord, 'experimentId' | 'displayName' | 'description' | 'namespace'>): Promise<ExperimentRecord>;
  getExperiment(experimentId: string): Promise<ExperimentRecord | undefined>;
  listExperiments(opts: ListOptions): Promise<Page<ExperimentRecord>>;
  deleteExperiment(experimentId: string): Promise<boolean>;
  setExperimentStorageState(experimentId: string, state: 'AVAILABLE' | 'ARCHIVED'): Promise<boolean>;

  // Runs. createRun is idempotent on runId (a second call returns the existing row).
  createRun(r: Omit<RunRecord, 'stateHistory' | 'finishedAt' | 'error' | 'storageState'>): Promise<RunRecord>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter: RunFilter, opts: ListOptions): Promise<Page<RunRecord>>;
  /**
   * Records a state transition. Idempotent: recording the same state again is a no-op.
   * A final state (SUCCEEDED/FAILED/CANCELED/SKIPPED) is never overwritten, so a late
   * replayed RUNNING cannot resurrect a finished run. Sets finishedAt on a final state.
   */
  recordRunState(runId: string, change: RunStateChange): Promise<void>;
  setRunStorageState(runId: string, state: 'AVAILABLE' | 'ARCHIVED'): Promise<boolean>;
  deleteRun(runId: string): Promise<boolean>;

  // Tasks. Upserts merge: fields left undefined keep their stored value; a final state is
  // never replaced by a non-final one.
  upsertTask(t: Partial<TaskRecord> & Pick<TaskRecord, 'runId' | 'taskName'>): Promise<void>;
  upsertTaskAttempt(a: Partial<TaskAttemptRecord> & Pick<TaskAttemptRecord, 'runId' | 'taskName' | 'attempt'>): Promise<void>;
  listTasks(runId: string): Promise<TaskRecord[]>;
  getTask(runId: string, taskName: string): Promise<TaskRecord | undefined>;
  listTaskAttempts(runId: string, taskName?: string): Promise<TaskAttemptRecord[]>;

  // Artifacts and lineage.
  /** Registers an artifact; idempotent on its URI. Returns the stored record (with its id). */
  upsertArtifact(a: Omit<ArtifactRecord, 'artifactId' | 'createdAt'>): Promise<ArtifactRecord>;
  getArtifact(artifactId: string): Promise<ArtifactRecord | undefined>;
  listArtifacts(runId: string): Promise<ArtifactRecord[]>;
  /** Idempotent on (artifactId, runId, taskName, direction, key). */
  addLineage(edge: LineageEdge): Promise<void>;
  listLineage(runId: string): Promise<LineageEdge[]>;
}
