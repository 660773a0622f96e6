import type { ResourceRequirements } from '../ir/resources';
import type { ArtifactRef, ParameterValue, PipelineSpec } from '../ir/types';
import type { RunState, TaskState } from '../ir/states';
import type { TaskIdentity, TaskTransition } from '../activities/types';

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
  /** Rows must satisfy every one (KFP's `filter`); `totalSize` counts the rows that do. */
  predicates?: readonly FieldPredicate[];
}

/** KFP's filter operations (`filter.proto`). */
export type FilterOperation = 'EQUALS' | 'NOT_EQUALS' | 'GREATER_THAN' | 'GREATER_THAN_EQUALS' | 'LESS_THAN' | 'LESS_THAN_EQUALS' | 'IN' | 'IS_SUBSTRING';

/**
 * One predicate of a listing's filter. `field` is one of the listing's filterable fields (any
 * other throws `StoreInputError`). A time field takes `Date`s and compares whole seconds, as KFP
 * keeps its times in seconds; `IN` takes the list, every other operation one value.
 */
export interface FieldPredicate {
  field: string;
  operation: FilterOperation;
  values: readonly (string | Date)[];
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

/**
 * The outcome of claiming a run's next attempt for a retry: claimed (the run is RUNNING again as
 * attempt `attempt`; `previous` is what releasing the claim restores), or refused with the state
 * (or archived storage) that refused it.
 */
export type RetryClaim =
  | { claimed: true; attempt: number; previous: { state: RunState; finishedAt?: Date; error?: RunError } }
  | { claimed: false; state: RunState; archived: boolean };

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

/** A run as listings show it: everything but the spec, which a page of runs never reads. */
export interface RunSummary {
  runId: string;
  displayName: string;
  description: string;
  experimentId: string;
  pipelineId?: string;
  pipelineVersionId?: string;
  /** `pipelineInfo.name` of the run's spec, stored beside it. */
  pipelineName: string;
  /** The recurring run whose schedule started this run. */
  recurringRunId?: string;
  parameters: Record<string, ParameterValue>;
  /** Artifact ids given for the pipeline's input artifacts (`runtime_config.input_artifacts`), by input name. */
  inputArtifacts: Record<string, string[]>;
  pipelineRoot?: string;
  state: RunState;
  error?: RunError;
  storageState: 'AVAILABLE' | 'ARCHIVED';
  createdAt: Date;
  scheduledAt: Date;
  finishedAt?: Date;
  /** Its experiment's namespace, fixed when the run is created (`''` if the experiment is unknown). */
  namespace: string;
  /** Times the run was retried (`POST /runs/{id}:retry`); its first execution is attempt 0. */
  retryCount: number;
  /** Oldest first, across the run's attempts: a retried run's history keeps its earlier final states. */
  stateHistory: RunStateChange[];
}

export interface RunRecord extends RunSummary {
  /** The spec the run executes (copied at creation, so deleting a version never breaks a run). */
  spec: PipelineSpec;
  /** The Kubernetes platform config that came with the spec, when there was one. */
  platformSpec?: Record<string, unknown>;
}

/**
 * One task of a run: a container or importer step, or a DAG, loop or loop iteration the workflow
 * interprets. The row is keyed by (runId, taskPath); each launch is a `TaskAttemptRecord`.
 */
export interface TaskRecord extends TaskIdentity {
  runId: string;
  /** Stable id of the task within the run: `taskIdFor(runId, taskPath)`. */
  taskId: string;
  state: TaskState;
  /** Why a task did not run (`NOT_TRIGGERED`, `UPSTREAM_FAILED`, …). */
  reason?: string;
  /** Resolved inputs: parameter values and input artifact ids. */
  inputs: { parameters: Record<string, ParameterValue>; artifacts: Record<string, string[]> };
  /** Collected outputs: parameter values and output artifact ids. */
  outputs: { parameters: Record<string, ParameterValue>; artifacts: Record<string, string[]> };
  /** Number of launches so far (1 for a task that ran once). */
  attempts: number;
  /**
   * Launches the task had before the run's latest retry reopened it (0 if it never was): its
   * later launches are numbered after them, and its retry policy counts from there.
   */
  launchBase: number;
  /** Process name (local runner) or pod name (Kubernetes) of the latest launch. */
  podName?: string;
  error?: RunError;
  /** Why a container task was or was not served from cache; absent for other tasks and for tasks recorded before caching. */
  cache?: TaskCacheInfo;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

/**
 * A container task's cache decision, recorded with its start or its hit: `HIT` (outputs reused,
 * no launch; the task is SKIPPED with reason `CACHED`, as KFP's API shows a cached task),
 * `MISS` (it ran; its success wrote the entry) or `DISABLED` (it ran without looking).
 */
export interface TaskCacheInfo {
  status: 'HIT' | 'MISS' | 'DISABLED';
  /** For people: which switch disabled it, why it missed, where a hit came from. */
  reason: string;
  fingerprint?: string;
  /** The execution whose outputs a hit reused. */
  cachedFrom?: { runId: string; taskPath: string };
}

/** Where a cache entry is kept: KFP scopes its cache by namespace and pipeline name. */
export interface CacheScope {
  /** The namespace of the run whose task wrote or looks up the entry (`runs.namespace`). */
  namespace: string;
  pipelineName: string;
}

/** The newest successful execution of a step with `fingerprint` in its scope. */
export interface CacheEntry extends CacheScope {
  fingerprint: string;
  runId: string;
  taskPath: string;
  createdAt: Date;
}

/** Which entries to list or clear; an unset field matches every entry (`namespaces` as in `NamespaceFilter`). */
export interface CacheEntryFilter extends NamespaceFilter {
  pipelineName?: string;
  fingerprint?: string;
}

export interface TaskAttemptRecord {
  runId: string;
  taskPath: string;
  attempt: number;
  state: TaskState;
  podName: string;
  exitCode?: number;
  error?: RunError;
  /** Artifact-store URI of this launch's combined stdout/stderr log. */
  logUri: string;
  /** What the launch asked for (cpu, memory, accelerator), resolved from the task's inputs. */
  resources?: ResourceRequirements;
  startedAt: Date;
  finishedAt?: Date;
}

export interface ArtifactRecord extends ArtifactRef {
  /** Derived from the URI, so registering the same payload twice yields the same id. */
  artifactId: string;
  runId: string;
  /** Path of the producer task, or undefined for an imported/pipeline-input artifact. */
  producerTaskPath?: string;
  outputKey?: string;
  createdAt: Date;
}

export interface LineageEdge {
  artifactId: string;
  runId: string;
  taskPath: string;
  direction: 'INPUT' | 'OUTPUT';
  /** Input or output key on the task. */
  key: string;
}

/** Only rows in these namespaces; undefined keeps every namespace. */
export interface NamespaceFilter {
  namespaces?: readonly string[];
}

/**
 * A recurring run (KFP's `RecurringRun`): the record of the Temporal Schedule of the same id.
 * `mode` is what was last asked for; the schedule is brought to it (paused for DISABLE).
 */
export interface RecurringRunRecord {
  recurringRunId: string;
  displayName: string;
  description: string;
  /** Set when the runs come from a pipeline version (the version resolved at creation). */
  pipelineId?: string;
  pipelineVersionId?: string;
  /** Set when the runs come from an inline spec: the request's `pipeline_spec` as given. */
  pipelineSpec?: Record<string, unknown>;
  /** The request's `runtime_config` as given (parameters, input artifacts, pipeline root). */
  runtimeConfig: Record<string, unknown>;
  maxConcurrency: number;
  /** The request's `trigger` as given (`cron_schedule` or `periodic_schedule`). */
  trigger: Record<string, unknown>;
  mode: 'ENABLE' | 'DISABLE';
  noCatchup: boolean;
  experimentId: string;
  namespace: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecurringRunFilter extends NamespaceFilter {
  experimentId?: string;
  mode?: RecurringRunRecord['mode'];
}

export interface RunFilter extends NamespaceFilter {
  experimentId?: string;
  /** Only the runs this recurring run started. */
  recurringRunId?: string;
  /** Any of these states. */
  states?: RunState[];
  storageState?: 'AVAILABLE' | 'ARCHIVED';
}

/** What an API token may do; each implies the ones before it (`admin` manages tokens). */
export type TokenScope = 'read' | 'write' | 'admin';

/** An API bearer token as the store keeps it: never the token itself, only its secret's SHA-256. */
export interface ApiTokenRecord {
  /** The public part of the token (it starts every token), so a lookup needs no secret. */
  tokenId: string;
  name: string;
  scope: TokenScope;
  /** The namespaces the token reaches; undefined: every namespace. */
  namespaces?: string[];
  createdAt: Date;
  expiresAt?: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
}

/**
 * The outcome of one launch of a container or importer task, written by `recordLaunch` in one
 * transaction: the attempt row, the task row, the artifacts and their lineage.
 */
export interface LaunchRecord {
  runId: string;
  task: {
    taskPath: string;
    displayName: string;
    parentTaskPath?: string;
    kind: 'CONTAINER' | 'IMPORTER';
    componentName: string;
    /** The task's state after this write: RUNNING while a retry follows a failed launch. */
    state: TaskState;
    /** Set when the launch starts (with `inputArtifacts`); kept when undefined. */
    inputParameters?: Record<string, ParameterValue>;
    /** Set when the launch succeeds (with `outputArtifacts`); kept when undefined. */
    outputParameters?: Record<string, ParameterValue>;
    error?: RunError;
    /** Set with the task's start (or its hit); kept when undefined. */
    cache?: TaskCacheInfo;
  };
  /** Absent for a task served from cache, which has no launch. */
  attempt?: {
    /** Launch number, from 1. */
    attempt: number;
    state: TaskState;
    podName?: string;
    logUri?: string;
    /** Set when the launch starts; kept when undefined. */
    resources?: ResourceRequirements;
    exitCode?: number;
    error?: RunError;
  };
  /** When it happened: the start time of a RUNNING write, the end time of a final one. */
  at: Date;
  /** When the launch started, on a write that carries its start and its end at once (a short step's). */
  startedAt?: Date;
  /** Artifacts the launch consumed, by input key: registered, linked as INPUT, their ids put in the task's inputs. */
  inputArtifacts?: Record<string, ArtifactRef[]>;
  /**
   * Artifacts the launch produced, by output key: registered with this task as producer, linked
   * as OUTPUT. For a cache hit, the cached execution's artifacts: already registered by their
   * producer, which they keep; the hit only links them as its OUTPUT.
   */
  outputArtifacts?: Record<string, ArtifactRef[]>;
  /** Written with a success whose task had caching on: this execution becomes the entry for its key. */
  cacheEntry?: CacheScope & { fingerprint: string };
}

/** A page of a run's tasks in tree order; see `MetadataStore.listTaskPage`. */
export interface TaskPageOptions {
  /** Only the tasks directly inside this task (a DAG, loop or iteration). */
  parentTaskPath?: string;
  pageSize?: number;
  pageToken?: string;
  /** False: the caller counts the listing itself (saving a scan of the run's tasks), and `totalSize` is 0. */
  withTotal?: boolean;
}

/** Some children of a task, and how many it has. */
export interface TaskChildren {
  parentTaskPath: string;
  total: number;
  children: Pick<TaskRecord, 'taskPath' | 'taskId' | 'podName'>[];
  /** How many children are in each state, when there are more than `children` lists. */
  stateCounts?: Partial<Record<TaskState, number>>;
}

/** A run's tasks summarised (`summariseTasks`): the top of the tree, a bounded number of children per parent. */
export interface TaskSummary {
  /** In tree order. */
  tasks: TaskRecord[];
  /** The attempts of the steps among `tasks`. */
  attempts: TaskAttemptRecord[];
  /** The first children of the DAG instances among `tasks` that have any. */
  children: TaskChildren[];
}

/** The attempts and first children of a page's tasks (`listTaskPageViews`). */
export interface TaskPageViews {
  /** The tasks of the page the answer is about: a step without attempts, a DAG instance without children, are here too. */
  covers: ReadonlySet<string>;
  attempts: TaskAttemptRecord[];
  /** Parents without children are left out. */
  children: TaskChildren[];
}

export interface MetadataStore {
  /** Creates tables and indexes; safe to call on every start. Also ensures the `Default` experiment. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Resolves once the database answers a trivial query; rejects with why it does not (health checks). */
  ping(): Promise<void>;

  /** Runs by state, and the tasks of unfinished runs by state: the figures `/metrics` gauges. */
  countByState(): Promise<{ runs: Partial<Record<RunState, number>>; activeTasks: Partial<Record<TaskState, number>> }>;

  // Pipelines and versions. Names are unique among pipelines (StoreConflictError otherwise).
  createPipeline(p: Omit<PipelineRecord, 'createdAt'>): Promise<PipelineRecord>;
  getPipeline(pipelineId: string): Promise<PipelineRecord | undefined>;
  getPipelineByName(name: string, namespace?: string): Promise<PipelineRecord | undefined>;
  listPipelines(opts: ListOptions & NamespaceFilter): Promise<Page<PipelineRecord>>;
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
  listExperiments(opts: ListOptions & NamespaceFilter): Promise<Page<ExperimentRecord>>;
  deleteExperiment(experimentId: string): Promise<boolean>;
  /** Archiving also archives the experiment's runs and disables its recurring runs (`updatedAt` = `at`), as KFP does; unarchiving restores neither. */
  setExperimentStorageState(experimentId: string, state: 'AVAILABLE' | 'ARCHIVED', at?: Date): Promise<boolean>;

  // Runs. createRun is idempotent on runId (a second call returns the existing row); the
  // pipeline name is taken from the spec, the namespace from the experiment.
  createRun(
    r: Omit<RunRecord, 'stateHistory' | 'finishedAt' | 'error' | 'storageState' | 'pipelineName' | 'inputArtifacts' | 'namespace' | 'retryCount'> &
      Partial<Pick<RunRecord, 'inputArtifacts'>>,
  ): Promise<RunRecord>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Pages of run summaries: the spec column is never read. */
  listRuns(filter: RunFilter, opts: ListOptions): Promise<Page<RunSummary>>;
  /** A run's namespace without reading the run (its spec may be megabytes); undefined if there is no such run. */
  getRunNamespace(runId: string): Promise<string | undefined>;
  /**
   * Records a state transition of the run's current attempt. Idempotent: recording the same state
   * again in the same attempt is a no-op. A final state (SUCCEEDED/FAILED/CANCELED/SKIPPED) is
   * never overwritten, so a late replayed RUNNING cannot resurrect a finished run (only a retry's
   * claim reopens one). Sets finishedAt on a final state. `attempt`, when given, is the run
   * attempt that decided the change: a change from any attempt but the run's current one (a
   * stale retry's) is ignored.
   */
  recordRunState(runId: string, change: RunStateChange, attempt?: number): Promise<void>;
  /**
   * Claims the run's next attempt for a retry, under its row lock: only a FAILED or CANCELED run
   * that is not archived can be claimed, so of two claims at once the second is refused (the
   * run is RUNNING by then). The claim makes the run RUNNING again (`finishedAt` and `error`
   * cleared, `retryCount` raised, RUNNING added to the history under the new attempt).
   * Throws `StoreNotFoundError` if the run does not exist.
   */
  claimRunRetry(runId: string, at: Date): Promise<RetryClaim>;
  /** Undoes a claim whose workflow did not start, while it is still the run's latest; else a no-op. */
  releaseRunRetry(runId: string, claim: Extract<RetryClaim, { claimed: true }>): Promise<void>;
  /**
   * The first write of a retry's workflow: makes `attempt` the run's attempt if its claim is
   * missing, then reopens every task that did not succeed and was not served from cache (PENDING,
   * no error or times, `launchBase` its last finished launch). Repeating it before any task ran
   * changes nothing. False, with nothing written, when a later attempt has been claimed.
   */
  reopenRunTasks(runId: string, attempt: number, at: Date): Promise<boolean>;
  setRunStorageState(runId: string, state: 'AVAILABLE' | 'ARCHIVED'): Promise<boolean>;
  deleteRun(runId: string): Promise<boolean>;

  // Recurring runs. createRecurringRun is idempotent on recurringRunId (a second call returns the stored row).
  createRecurringRun(r: Omit<RecurringRunRecord, 'updatedAt'>): Promise<RecurringRunRecord>;
  getRecurringRun(recurringRunId: string): Promise<RecurringRunRecord | undefined>;
  listRecurringRuns(filter: RecurringRunFilter, opts: ListOptions): Promise<Page<RecurringRunRecord>>;
  /** Sets the mode (and `updatedAt` when it changes); false when there is no such recurring run. */
  setRecurringRunMode(recurringRunId: string, mode: RecurringRunRecord['mode'], at: Date): Promise<boolean>;
  /**
   * Claims the second a `:trigger` may start its run in: `choose` gets the last second claimed
   * (epoch seconds, 0 before any) and returns a later one, which is recorded and returned. Claims
   * of one recurring run are serialised (the row's lock), so concurrent callers, in any number of
   * processes, each get a distinct second. A retried claim only claims another, later second.
   * Undefined when there is no such recurring run.
   */
  claimTriggerSecond(recurringRunId: string, choose: (lastClaimed: number) => number): Promise<number | undefined>;
  /** Deletes the row only; the runs it started stay. */
  deleteRecurringRun(recurringRunId: string): Promise<boolean>;

  // Tasks. Every write is idempotent under retries and replays, and a task in a final state is
  // never changed again (neither by a non-final state nor by another final one).
  /**
   * Writes a batch of workflow-decided transitions in one statement. A batch may hold the same
   * task more than once (its changes apply in order). `at` sets `createdAt` of a new row,
   * `startedAt` on RUNNING only when the row has none, and `finishedAt` on a final state.
   * Throws `StoreNotFoundError` if the run does not exist.
   */
  recordTaskTransitions(runId: string, transitions: readonly TaskTransition[]): Promise<void>;
  /**
   * Writes one launch outcome in one transaction (see `LaunchRecord`). The task's `startedAt`
   * is set only when it has none, so a reattached or retried launch keeps the first start time;
   * `attempts` keeps the highest launch seen. Throws `StoreNotFoundError` if the run does not exist.
   */
  recordLaunch(launch: LaunchRecord): Promise<void>;
  /** All of a run's tasks in tree order (see `listTaskPage`). For small runs and tests; the API pages. */
  listTasks(runId: string): Promise<TaskRecord[]>;
  /**
   * One page of a run's tasks, ordered by (parent path, iteration index, path), so a parent
   * always comes before its children and a loop's iterations come in index order.
   * `totalSize` counts the tasks the filter matches. Throws `StoreInputError` for a bad page
   * size or token.
   */
  listTaskPage(runId: string, opts: TaskPageOptions): Promise<Page<TaskRecord>>;
  /** The first `limit` children (in listing order) of each of `parentTaskPaths`, and their count; parents without children are left out. */
  listTaskChildren(runId: string, parentTaskPaths: readonly string[], limit: number): Promise<TaskChildren[]>;
  /**
   * The attempts of the steps and the first `limit` children of the DAG instances on the page
   * `opts` selects, read beside `listTaskPage` rather than after it; see `covers` for tasks
   * added between the two reads.
   */
  listTaskPageViews(runId: string, opts: TaskPageOptions, limit: number): Promise<TaskPageViews>;
  /**
   * The run's tasks breadth first, at most `childLimit` children of any parent and `size` tasks
   * in all, returned in tree order with their attempts and first children: the top of a huge
   * run's tree (a loop's first iterations, not all of them) at the cost of its size.
   */
  summariseTasks(runId: string, size: number, childLimit: number): Promise<TaskSummary>;
  /** How many of the run's tasks are in each state; absent states have none. */
  countTasksByState(runId: string): Promise<Partial<Record<TaskState, number>>>;
  getTask(runId: string, taskPath: string): Promise<TaskRecord | undefined>;
  getTaskById(runId: string, taskId: string): Promise<TaskRecord | undefined>;
  /** Attempts of the run, or of the named task(s), ordered by task path, then attempt. */
  listTaskAttempts(runId: string, taskPath?: string | readonly string[]): Promise<TaskAttemptRecord[]>;

  // Artifacts and lineage (written by `recordLaunch`).
  getArtifact(artifactId: string): Promise<ArtifactRecord | undefined>;
  /** Artifacts first registered by the run, oldest first. */
  listArtifacts(runId: string): Promise<ArtifactRecord[]>;
  listLineage(runId: string): Promise<LineageEdge[]>;

  // API tokens.
  /** Idempotent on `tokenId`. */
  createApiToken(t: Omit<ApiTokenRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'> & { secretSha256: Buffer }): Promise<ApiTokenRecord>;
  /** The token with its secret's hash, for verifying a presented token. */
  getApiToken(tokenId: string): Promise<(ApiTokenRecord & { secretSha256: Buffer }) | undefined>;
  /** Newest first, revoked ones included. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Sets `revokedAt` once (a second revoke keeps the first time); false if there is no such token. */
  revokeApiToken(tokenId: string, at: Date): Promise<boolean>;
  /** Moves `lastUsedAt` forward to `at` (never back). */
  touchApiToken(tokenId: string, at: Date): Promise<void>;

  // The task cache (written by `recordLaunch`).
  /** The entry for `fingerprint` in `scope`, if any. */
  findCacheEntry(scope: CacheScope, fingerprint: string): Promise<CacheEntry | undefined>;
  /** Entries matching `filter`, newest first, at most `limit`; `totalSize` counts every match. */
  listCacheEntries(filter: CacheEntryFilter, limit: number): Promise<Page<CacheEntry>>;
  /**
   * Deletes the entries matching `filter` and returns how many. Only entries go: the artifacts
   * and records of the runs that produced them stay, so a run that has just reused an entry
   * keeps valid outputs, and later lookups miss.
   */
  deleteCacheEntries(filter: CacheEntryFilter): Promise<number>;
}
