import type { Client } from '@temporalio/client';
import { join } from 'node:path';
import express, { Router } from 'express';
import { PROJECT_ROOT, type SluiceConfig } from '../config/config';
import { platformCheckFor } from '../activities/runners/platform-check';
import { GzipPayloadCodec } from '../config/payload-codec';
import type { MetadataStore } from '../store/types';
import { authSettingsFor, guard, type AuthSettings } from './auth/guard';
import { NamespaceGuard } from './auth/namespace-guard';
import { NotFoundError, errorHandler } from './errors';
import { lineLogger, type Logger } from '../observability/logger';
import { httpMetrics, rememberMountPath } from '../observability/metrics';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from './pipeline-input';
import { bodyTypeGuard, parsedInputGuard } from './request-guards';
import { postgresCheck, temporalCheck, type DependencyCheck } from './health';
import { artifactsRouter } from './routes/artifacts';
import { cacheRouter } from './routes/cache';
import { codecRouter } from './routes/codec';
import { experimentsRouter } from './routes/experiments';
import { healthzRouter } from './routes/healthz';
import { metricsRouter } from './routes/metrics';
import { UPLOAD_PATHS, pipelinesRouter } from './routes/pipelines';
import { recurringRunsRouter } from './routes/recurring-runs';
import { runsRouter } from './routes/runs';
import { tokensRouter } from './routes/tokens';
import { ArtifactService } from './services/artifact-service';
import { CacheService } from './services/cache-service';
import { ExperimentService } from './services/experiment-service';
import { PipelineService } from './services/pipeline-service';
import { RecurringRunService } from './services/recurring-run-service';
import { RunDetailsService } from './services/run-details-service';
import { RunSchedules } from './services/run-schedules';
import { RunService } from './services/run-service';
import { RunWorkflows } from './services/run-workflows';
import { TaskLogService } from './services/task-log-service';

/** KFP's REST prefix; `kfp.Client` and the KFP UI call these paths. */
export const API_PREFIX = '/apis/v2beta1';

export interface ApiDeps {
  store: MetadataStore;
  /** Connected to the namespace the worker polls. */
  temporal: Client;
  /** Task queue the `pipelineRun` workflows are started on. */
  taskQueue: string;
  /** Pipeline root of runs that do not name one (`runtime_config.pipeline_root`). */
  artifactRoot: string;
  /** Directories a run's `pipeline_root` may lie in; `[artifactRoot]` when unset. */
  pipelineRoots?: string[];
  /** Body and upload size limits; `DEFAULT_INPUT_LIMITS` for any left unset. */
  inputLimits?: Partial<InputLimits>;
  /** Tasks of one run that may execute at once. */
  parallelism: number;
  /** Passed to each run: series of short tasks its workflow runs at once (`RunInput.seriesWidth`); none when unset. */
  seriesWidth?: number;
  /** Passed to each run: how long a task may go without a heartbeat before Temporal retries it. */
  heartbeatTimeoutSeconds: number;
  /** Who may call (tokens, OIDC, a trusted proxy) and which hosts and origins are answered. */
  auth: AuthSettings;
  /** A built dashboard to serve at `/`. */
  uiDir?: string;
  /** Where steps run: which platform settings a run may ask for depends on it. `local` when unset. */
  runner?: 'local' | 'kubernetes';
  /** Most task details `GET /runs/{id}` carries (the rest are paged); `DEFAULT_TASK_DETAILS_LIMIT` when unset. */
  taskDetailsLimit?: number;
  /** Where failed requests are logged; warnings and errors as lines on stderr when unset. */
  logger?: Logger;
  /** What `/healthz` reports and `/readyz` requires; Temporal and PostgreSQL when unset. */
  health?: DependencyCheck[];
}

/** The API's dependencies as a Sluice process configures them: its config, its store, its Temporal client. */
export function apiDepsFromConfig(config: SluiceConfig, store: MetadataStore, temporal: Client): ApiDeps {
  return {
    store,
    temporal,
    taskQueue: config.taskQueue,
    artifactRoot: config.artifactRoot,
    pipelineRoots: config.pipelineRoots,
    inputLimits: { maxBodyBytes: config.maxBodyBytes, maxUploadBytes: config.maxUploadBytes },
    parallelism: config.parallelism,
    seriesWidth: config.seriesWidth,
    heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
    runner: config.runner,
    auth: authSettingsFor(config, store),
    uiDir: join(PROJECT_ROOT, 'ui'),
  };
}

/** The services behind the routes, wired to the store and Temporal. */
function apiServices(deps: ApiDeps) {
  const { store } = deps;
  const pipelines = new PipelineService(store);
  const experiments = new ExperimentService(store);
  const artifacts = new ArtifactService(store);
  const namespaces = new NamespaceGuard(store);
  const runs = new RunService({
    store,
    workflows: new RunWorkflows(deps.temporal, deps.taskQueue),
    pipelines,
    experiments,
    artifactRoot: deps.artifactRoot,
    pipelineRoots: deps.pipelineRoots ?? [deps.artifactRoot],
    parallelism: deps.parallelism,
    seriesWidth: deps.seriesWidth,
    heartbeatTimeoutSeconds: deps.heartbeatTimeoutSeconds,
    platformCheck: platformCheckFor(deps.runner ?? 'local'),
  });
  const recurringRuns = new RecurringRunService(store, runs, new RunSchedules(deps.temporal, deps.taskQueue));
  return { pipelines, experiments, artifacts, namespaces, runs, recurringRuns };
}

/**
 * Brings Temporal's schedules to the `recurring_runs` rows (see `RecurringRunService.reconcile`):
 * what an API process that stopped between the two writes of a create or delete left undone.
 */
export function reconcileRecurringRuns(deps: ApiDeps): ReturnType<RecurringRunService['reconcile']> {
  return apiServices(deps).recurringRuns.reconcile();
}

/**
 * The API server's composition root: KFP v2beta1 routes → services → the metadata store and
 * Temporal. Every error leaves as KFP's JSON error body (see `errors.ts`), including 404 for an
 * unknown route. Only the health probe is open; everything after `guard` needs a credential.
 */
export function createApp(deps: ApiDeps): express.Express {
  const { store } = deps;
  const { pipelines, experiments, artifacts, namespaces, runs, recurringRuns } = apiServices(deps);

  const limits = { ...DEFAULT_INPUT_LIMITS, ...deps.inputLimits };
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics);
  app.use(`${API_PREFIX}/healthz`, parsedInputGuard);
  app.use(API_PREFIX, rememberMountPath, healthzRouter(deps.health ?? [temporalCheck(deps.temporal), postgresCheck(store)]));
  // Who is asking comes first: a caller without credentials learns nothing about what it sent.
  // The codec reads any content type (the Temporal UI's), within the same limits as the API.
  const codec = Router().use(rememberMountPath, express.json({ type: () => true, limit: limits.maxBodyBytes }), parsedInputGuard, codecRouter(new GzipPayloadCodec()));
  app.use(guard(deps.auth, codec));
  // Hostile input stops here: wrong type or encoding (415), too large (413), NUL or too deep (400).
  app.use(API_PREFIX, bodyTypeGuard((path) => UPLOAD_PATHS.includes(path)));
  app.use(express.json({ limit: limits.maxBodyBytes }), parsedInputGuard);
  app.use(
    API_PREFIX,
    rememberMountPath,
    tokensRouter(deps.auth.tokens),
    pipelinesRouter(pipelines, namespaces, limits.maxUploadBytes),
    experimentsRouter(experiments, recurringRuns, namespaces),
    runsRouter({ runs, details: new RunDetailsService(store, deps.taskDetailsLimit), logs: new TaskLogService(store), artifacts, namespaces }),
    artifactsRouter(artifacts, namespaces),
    recurringRunsRouter(recurringRuns, namespaces),
    cacheRouter(new CacheService(store)),
  );
  app.use(metricsRouter({ store, temporal: deps.temporal, taskQueue: deps.taskQueue }));
  if (deps.uiDir) app.use(express.static(deps.uiDir));
  app.use((req) => {
    throw new NotFoundError('route', `${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.logger ?? lineLogger('warn', (line) => console.error(line))));
  return app;
}
