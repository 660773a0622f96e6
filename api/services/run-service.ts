import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFinal } from '../../ir/states';
import type { PipelineSpec } from '../../ir/types';
import type { PlatformCheck } from '../../activities/runners/platform-check';
import { hasPipelineWorkspace } from '../../ir/platform';
import { validatePipelineSpec, validateRunInputArtifacts, validateRunParameters } from '../../ir/validate';
import { newRunRecord } from '../../activities/register-run';
import { toArtifactRef } from '../../store/rows';
import type { ExperimentRecord, MetadataStore, Page, RetryClaim, RunRecord, RunSummary } from '../../store/types';
import type { RunInput } from '../../workflows/types';
import { RUN_FILTER_KEYS, toRunFilter } from '../converters/run-filter';
import { ConflictError, FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../errors';
import { parseFilter } from '../filter';
import { readPipelineSpecObject, specIssuesAt } from '../pipeline-input';
import { toListOptions } from '../schemas/common';
import type { CreateRunBody, ListRunsQuery, RunSourceFields } from '../schemas/runs';
import type { Access } from '../auth/principal';
import type { ExperimentService } from './experiment-service';
import type { PipelineService } from './pipeline-service';
import { MAX_START_INPUT_BYTES, TEMPORAL_BLOB_LIMIT_BYTES, type RunWorkflows } from './run-workflows';

export interface RunServiceDeps {
  store: MetadataStore;
  workflows: RunWorkflows;
  pipelines: PipelineService;
  experiments: ExperimentService;
  /** Pipeline root of runs that do not name one: the local artifact store's directory. */
  artifactRoot: string;
  /** Absolute directories a run's `pipeline_root` may lie in (the artifact root among them, usually). */
  pipelineRoots: string[];
  parallelism: number;
  seriesWidth?: number;
  heartbeatTimeoutSeconds: number;
  /** The configured runner's check of a run's platform settings. */
  platformCheck: PlatformCheck;
}

/** Where a run's spec came from. */
interface RunSource {
  spec: PipelineSpec;
  platformSpec?: Record<string, unknown>;
  pipelineId?: string;
  pipelineVersionId?: string;
}

/** Creating, listing and ending runs. Reading one run with its tasks is `RunDetailsService`. */
export class RunService {
  constructor(private readonly deps: RunServiceDeps) {}

  /**
   * Validates everything (source, spec, experiment, parameters, input artifacts, pipeline root)
   * before writing anything, so bad input leaves no trace; then records the run PENDING and starts its
   * workflow. While Temporal does not answer, nothing is written and `UnavailableError` (503) is
   * thrown at once, as KFP refuses a run it cannot submit. If the start itself fails (Temporal
   * lost in between) the run is recorded FAILED with the reason and `UnavailableError` is thrown,
   * so no run waits in PENDING for a workflow that never comes.
   */
  async create(body: CreateRunBody, access: Access): Promise<RunRecord> {
    const { store } = this.deps;
    const now = new Date();
    const input = await this.prepare(body, access, randomUUID(), now.toISOString());
    const { runId } = input;
    // KFP's semantics: a run whose workflow cannot be submitted is not created (503, nothing written).
    await this.deps.workflows.assertReachable();

    const run = await store.createRun(newRunRecord(input, { createdAt: now, scheduledAt: now }, body.description ?? ''));
    try {
      await this.deps.workflows.start(input);
    } catch (err) {
      const message = `could not start the run's workflow: ${(err as Error).message}`;
      await store.recordRunState(runId, { state: 'FAILED', at: new Date(), error: { message, type: 'WorkflowStartFailed' } });
      throw new UnavailableError(`run "${runId}" was recorded as FAILED: ${message}`, { cause: err });
    }
    return run;
  }

  /**
   * The workflow input of a run of `body`, validated (source, spec, experiment, parameters, input
   * artifacts, pipeline root, size), without writing anything. A recurring run's schedule action
   * is prepared with an empty `runId` and `createdAt`, which each run fills in from its workflow;
   * one rebuilt from its row (`existing`) may be in an experiment archived since its creation.
   * @throws InvalidArgumentError, NotFoundError, FailedPreconditionError naming the field.
   */
  async prepare(body: RunSourceFields, access: Access, runId: string, createdAt: string, existing = false): Promise<RunInput> {
    const { store } = this.deps;
    const source = await this.resolveSource(body, access);
    const experiment = await this.resolveExperiment(body.experiment_id, existing);
    // The run lands in its experiment's namespace (KFP's rule), so that is where the caller writes.
    access.requireNamespace(experiment.namespace, `experiment "${experiment.experimentId}"`);
    // Their issue paths already start with `runtime_config.parameters.` and `runtime_config.input_artifacts[`.
    const parameters = validateRunParameters(source.spec, body.runtime_config.parameters);
    const inputArtifacts = await validateRunInputArtifacts(source.spec, body.runtime_config.input_artifacts, async (id) => {
      const artifact = await store.getArtifact(id);
      // Another namespace's artifact is as good as absent: naming it must not pull its data in.
      const namespace = artifact && (await store.getRunNamespace(artifact.runId));
      return artifact && namespace !== undefined && access.reaches(namespace) ? toArtifactRef(artifact) : undefined;
    });
    const pipelineRoot = resolvePipelineRoot(body.runtime_config.pipeline_root, this.deps.artifactRoot, this.deps.pipelineRoots);
    const info = source.spec.pipelineInfo;
    const input: RunInput = {
      runId,
      runName: body.display_name ?? info.displayName ?? info.name,
      pipelineName: info.name,
      experimentId: experiment.experimentId,
      ...(source.pipelineId ? { pipelineId: source.pipelineId, pipelineVersionId: source.pipelineVersionId } : {}),
      spec: source.spec,
      platformSpec: source.platformSpec,
      parameters,
      inputArtifacts,
      pipelineRoot,
      ...(hasPipelineWorkspace(source.platformSpec) ? { workspacePath: join(pipelineRoot, runId, 'workspace') } : {}),
      createdAt,
      parallelism: this.deps.parallelism,
      ...(this.deps.seriesWidth ? { seriesWidth: this.deps.seriesWidth } : {}),
      heartbeatTimeoutSeconds: this.deps.heartbeatTimeoutSeconds,
    };
    await this.assertStartInputFits(input, body.pipeline_spec ? 'pipeline_spec' : 'pipeline_version_reference');
    return input;
  }

  /**
   * Refuses a run whose workflow input (spec, platform spec and parameters, compressed as the
   * client sends it) would not fit Temporal's payload limit, naming the field that makes it too
   * large: the spec's, unless the spec alone fits, then `runtime_config.parameters`.
   * @throws InvalidArgumentError
   */
  private async assertStartInputFits(input: RunInput, specField: string): Promise<void> {
    const { workflows } = this.deps;
    const bytes = await workflows.startInputBytes(input, MAX_START_INPUT_BYTES);
    if (bytes <= MAX_START_INPUT_BYTES) return;
    const specBytes = Object.keys(input.parameters).length ? await workflows.startInputBytes({ ...input, parameters: {} }, MAX_START_INPUT_BYTES) : bytes;
    const [field, advice] =
      specBytes > MAX_START_INPUT_BYTES
        ? [specField, 'make the pipeline smaller (fewer tasks, or large constants moved into artifacts)']
        : ['runtime_config.parameters', 'pass large values as artifacts rather than parameters'];
    throw InvalidArgumentError.of(
      field,
      `the run's workflow input is ${mib(bytes)} after compression, more than the ${mib(MAX_START_INPUT_BYTES)} limit ` +
        `(Temporal refuses payloads over ${mib(TEMPORAL_BLOB_LIMIT_BYTES)}); ${advice}`,
    );
  }

  async get(runId: string): Promise<RunRecord> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw new NotFoundError('run', runId);
    return run;
  }

  /** `namespaces`: only runs in these (undefined: all). */
  list(query: ListRunsQuery, namespaces: readonly string[] | undefined): Promise<Page<RunSummary>> {
    const { filter, predicates } = toRunFilter(parseFilter(query.filter, RUN_FILTER_KEYS), query.experiment_id);
    return this.deps.store.listRuns({ ...filter, namespaces }, { ...toListOptions(query), predicates });
  }

  /**
   * Records CANCELING and cancels the workflow, which stops the running steps and records
   * CANCELED. A run whose workflow no longer exists is recorded CANCELED at once.
   * @throws FailedPreconditionError when the run has already finished.
   */
  async terminate(runId: string): Promise<void> {
    const { store, workflows } = this.deps;
    const run = await this.get(runId);
    if (isFinal(run.state)) {
      throw new FailedPreconditionError(`run "${runId}" is already ${run.state}; only a run that has not finished can be terminated`);
    }
    await store.recordRunState(runId, { state: 'CANCELING', at: new Date() });
    if (!(await workflows.cancel(runId))) {
      await store.recordRunState(runId, {
        state: 'CANCELED',
        at: new Date(),
        error: { message: 'terminated; the run had no open workflow', type: 'Canceled' },
      });
    }
  }

  /**
   * Retries a FAILED or CANCELED run in place (KFP's `RetryRun`): claims its next attempt in the
   * store (the run is RUNNING again), then starts a new execution of its workflow, which reruns
   * the tasks that did not succeed and reuses the outputs of those that did. Of two retries at
   * once, the claim lets one through and the other gets `ConflictError`. A claim whose workflow
   * does not start is released, leaving the run as it was.
   * @throws NotFoundError for an unknown run
   * @throws FailedPreconditionError for an archived or successful run, or one whose history Temporal no longer keeps
   * @throws ConflictError for a run that has not finished (or is being retried)
   */
  async retry(runId: string): Promise<void> {
    const { store, workflows } = this.deps;
    const run = await this.get(runId);
    // As run creation: while Temporal does not answer, nothing is claimed.
    await workflows.assertReachable();
    const claim = await store.claimRunRetry(runId, new Date());
    if (!claim.claimed) throw retryRefusal(runId, claim);
    try {
      await workflows.startRetry(runId, claim.attempt, run.createdAt);
    } catch (err) {
      await store.releaseRunRetry(runId, claim);
      throw err;
    }
  }

  /** As in KFP, a run of an archived experiment stays archived until the experiment is unarchived. */
  async setStorageState(runId: string, state: RunRecord['storageState']): Promise<void> {
    if (state === 'AVAILABLE') {
      const { experimentId } = await this.get(runId);
      if ((await this.deps.store.getExperiment(experimentId))?.storageState === 'ARCHIVED') {
        throw new FailedPreconditionError(`run "${runId}" is in archived experiment "${experimentId}"; unarchive the experiment first to allow the run to be restored`);
      }
    }
    if (!(await this.deps.store.setRunStorageState(runId, state))) throw new NotFoundError('run', runId);
  }

  /**
   * Deletes a finished run and its tasks. An active run is refused: its workflow would go on
   * writing tasks of a run that no longer exists.
   */
  async delete(runId: string): Promise<void> {
    const run = await this.get(runId);
    if (!isFinal(run.state)) {
      throw new FailedPreconditionError(`run "${runId}" is ${run.state}; terminate it and let it finish before deleting it`);
    }
    if (!(await this.deps.store.deleteRun(runId))) throw new NotFoundError('run', runId);
  }

  private async resolveSource(body: RunSourceFields, access: Access): Promise<RunSource> {
    if (body.pipeline_spec) {
      const doc = readPipelineSpecObject(body.pipeline_spec, 'pipeline_spec');
      specIssuesAt('pipeline_spec', () => this.deps.platformCheck(doc.platformSpec, doc.spec));
      return { spec: doc.spec, platformSpec: doc.platformSpec };
    }
    // The body schema guarantees one of the two sources.
    const ref = body.pipeline_version_reference as NonNullable<RunSourceFields['pipeline_version_reference']>;
    const { pipelines } = this.deps;
    const pipeline = await pipelines.get(ref.pipeline_id, 'pipeline_version_reference.pipeline_id');
    access.requirePipelineRead(pipeline.namespace, `pipeline "${pipeline.pipelineId}"`);
    const version = ref.pipeline_version_id
      ? await pipelines.getVersion(ref.pipeline_id, ref.pipeline_version_id, 'pipeline_version_reference.pipeline_version_id')
      : await pipelines.latestVersion(ref.pipeline_id, 'pipeline_version_reference.pipeline_id');
    // Revalidated: the version may predate a stricter validator.
    const spec = specIssuesAt('pipeline_version_reference', () => validatePipelineSpec(version.spec));
    specIssuesAt('pipeline_version_reference', () => this.deps.platformCheck(version.platformSpec, version.spec));
    return { spec, platformSpec: version.platformSpec, pipelineId: version.pipelineId, pipelineVersionId: version.pipelineVersionId };
  }

  /** The named experiment, or `Default`; nothing new may join an archived experiment. */
  private async resolveExperiment(experimentId: string | undefined, existing: boolean): Promise<ExperimentRecord> {
    if (experimentId === undefined) return this.deps.store.getDefaultExperiment();
    const experiment = await this.deps.experiments.get(experimentId, 'experiment_id');
    if (experiment.storageState === 'ARCHIVED' && !existing) {
      throw new FailedPreconditionError(`experiment_id: experiment "${experimentId}" is archived; unarchive it or choose another`);
    }
    return experiment;
  }
}

/**
 * The pipeline root a run writes under (the activities add `<run id>/<task>`). The local artifact
 * store takes an absolute directory or a `file://` URL; remote roots (gs://, s3://, minio://)
 * need a store Sluice does not have yet, so they are refused rather than silently redirected.
 * The directory must lie in one of `allowed`: the worker creates and writes directories under it
 * (as root, possibly), so `/etc` or `/proc/...` must never get that far. The check is lexical
 * after normalising `..`, then repeated on the nearest existing ancestor with symlinks resolved.
 */
function resolvePipelineRoot(given: string | undefined, artifactRoot: string, allowed: string[]): string {
  if (given === undefined) return artifactRoot;
  const field = 'runtime_config.pipeline_root';
  let path: string;
  if (isAbsolute(given)) path = given;
  else if (given.startsWith('file://')) {
    try {
      path = fileURLToPath(given);
    } catch (err) {
      throw InvalidArgumentError.of(field, `not a usable file URL: ${(err as Error).message}`);
    }
  } else {
    throw InvalidArgumentError.of(field, `the local artifact store needs an absolute directory or a file:// URL, got "${given}"`);
  }
  const normalised = resolve(path);
  const within = (candidate: string, roots: string[]) => roots.some((root) => candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep));
  if (!within(normalised, allowed) || !within(realAncestor(normalised), allowed.map(realAncestor))) {
    throw InvalidArgumentError.of(field, `"${given}" is outside the allowed pipeline roots (${allowed.join(', ')}; set SLUICE_PIPELINE_ROOTS to allow others)`);
  }
  return normalised;
}

/** `path` with symlinks resolved, as far up as it exists (the part below is kept as written). */
function realAncestor(path: string): string {
  for (let dir = path, rest = ''; ; ) {
    try {
      return join(realpathSync(dir), rest);
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return path;
      rest = join(basename(dir), rest);
      dir = parent;
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2).replace(/\.?0+$/, '')} MiB`;
}

/** Why a run cannot be retried now, as the error the API answers with. */
function retryRefusal(runId: string, refused: Extract<RetryClaim, { claimed: false }>): Error {
  if (refused.archived) return new FailedPreconditionError(`run "${runId}" is archived; unarchive it before retrying it`);
  const only = 'only a FAILED or CANCELED run can be retried';
  if (!isFinal(refused.state)) return new ConflictError(`run "${runId}" is ${refused.state}: it has not finished (or is being retried); ${only}`);
  return new FailedPreconditionError(`run "${runId}" is ${refused.state}; ${only}`);
}
