import type { Client } from '@temporalio/client';
import { join } from 'node:path';
import express from 'express';
import { PROJECT_ROOT, type SluiceConfig } from '../config/config';
import { platformCheckFor } from '../activities/runners/platform-check';
import { GzipPayloadCodec } from '../config/payload-codec';
import type { MetadataStore } from '../store/types';
import { NotFoundError, errorHandler } from './errors';
import { lineLogger, type Logger } from '../observability/logger';
import { httpMetrics, rememberMountPath } from '../observability/metrics';
import { MAX_PIPELINE_FILE_BYTES } from './pipeline-input';
import { artifactsRouter } from './routes/artifacts';
import { cacheRouter } from './routes/cache';
import { CODEC_PATH, codecRouter } from './routes/codec';
import { experimentsRouter } from './routes/experiments';
import { healthzRouter } from './routes/healthz';
import { metricsRouter } from './routes/metrics';
import { pipelinesRouter } from './routes/pipelines';
import { runsRouter } from './routes/runs';
import { ArtifactService } from './services/artifact-service';
import { CacheService } from './services/cache-service';
import { ExperimentService } from './services/experiment-service';
import { PipelineService } from './services/pipeline-service';
import { RunDetailsService } from './services/run-details-service';
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
  /** Tasks of one run that may execute at once. */
  parallelism: number;
  /** Passed to each run: how long a task may go without a heartbeat before Temporal retries it. */
  heartbeatTimeoutSeconds: number;
  /** A built dashboard to serve at `/`. */
  uiDir?: string;
  /** Where steps run: which platform settings a run may ask for depends on it. `local` when unset. */
  runner?: 'local' | 'kubernetes';
  /** Most task details `GET /runs/{id}` carries (the rest are paged); `DEFAULT_TASK_DETAILS_LIMIT` when unset. */
  taskDetailsLimit?: number;
  /** Where failed requests are logged; warnings and errors as lines on stderr when unset. */
  logger?: Logger;
}

/** The API's dependencies as a Sluice process configures them: its config, its store, its Temporal client. */
export function apiDepsFromConfig(config: SluiceConfig, store: MetadataStore, temporal: Client): ApiDeps {
  return {
    store,
    temporal,
    taskQueue: config.taskQueue,
    artifactRoot: config.artifactRoot,
    parallelism: config.parallelism,
    heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
    runner: config.runner,
    uiDir: join(PROJECT_ROOT, 'ui'),
  };
}

/**
 * The API server's composition root: KFP v2beta1 routes → services → the metadata store and
 * Temporal. Every error leaves as KFP's JSON error body (see `errors.ts`), including 404 for an
 * unknown route.
 */
export function createApp(deps: ApiDeps): express.Express {
  const { store } = deps;
  const workflows = new RunWorkflows(deps.temporal, deps.taskQueue);
  const pipelines = new PipelineService(store);
  const experiments = new ExperimentService(store);
  const artifacts = new ArtifactService(store);
  const runs = new RunService({
    store,
    workflows,
    pipelines,
    experiments,
    artifactRoot: deps.artifactRoot,
    parallelism: deps.parallelism,
    heartbeatTimeoutSeconds: deps.heartbeatTimeoutSeconds,
    platformCheck: platformCheckFor(deps.runner ?? 'local'),
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics);
  app.use(express.json({ limit: MAX_PIPELINE_FILE_BYTES }));
  app.use(
    API_PREFIX,
    rememberMountPath,
    healthzRouter(),
    pipelinesRouter(pipelines),
    experimentsRouter(experiments),
    runsRouter({ runs, details: new RunDetailsService(store, deps.taskDetailsLimit), logs: new TaskLogService(store), artifacts }),
    artifactsRouter(artifacts),
    cacheRouter(new CacheService(store)),
  );
  app.use(CODEC_PATH, rememberMountPath, codecRouter(new GzipPayloadCodec()));
  app.use(metricsRouter({ store, temporal: deps.temporal, taskQueue: deps.taskQueue }));
  if (deps.uiDir) app.use(express.static(deps.uiDir));
  app.use((req) => {
    throw new NotFoundError('route', `${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.logger ?? lineLogger('warn', (line) => console.error(line))));
  return app;
}
