import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../observability/logger';
import { freePort } from '../stack/free-port';
import { setTemporalSdkMetricsUrl } from '../observability/metrics';
import { activityTelemetry } from './activity-telemetry';
import { createActivities } from '../activities';
import { KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { buildPod } from '../activities/runners/kubernetes/build-pod';
import { KubernetesRunner } from '../activities/runners/kubernetes/kubernetes-runner';
import { podLaunchOf } from '../activities/runners/kubernetes/pod-launch-of';
import { PodSpecError } from '../activities/runners/kubernetes/pod-spec-error';
import type { KubernetesRunnerConfig } from '../activities/runners/kubernetes/runner-config';
import { LocalProcessRunner } from '../activities/runners/local-process-runner';
import type { Runner } from '../activities/runners/runner';
import { ConfigError, PROJECT_ROOT, type SluiceConfig } from '../config/config';
import { FailureTypes } from '../config/constants';
import { SLUICE_DATA_CONVERTER } from '../config/payload-codec';
import type { MetadataStore } from '../store/types';
import { buildStepEnv } from './step-env';
import { resolveStepUser, stepUserBlocked } from './step-user';

/** Workflow code bundled once by `npm run build` (scripts/bundle-workflows.mjs); bundling at start costs seconds. */
export const PREBUILT_WORKFLOW_BUNDLE = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

export interface SluiceWorkerDeps {
  config: SluiceConfig;
  store: MetadataStore;
  connection: NativeConnection;
  runner?: Runner;
  logger: Logger;
  /** Workflow code; the prebuilt bundle when present, else bundled from source now. */
  workflowBundlePath?: string;
}

/** The composition root of a worker: real store, real runner, the pipelineRun workflow. */
export async function createSluiceWorker(deps: SluiceWorkerDeps): Promise<Worker> {
  const { config } = deps;
  const bundlePath = deps.workflowBundlePath ?? (existsSync(PREBUILT_WORKFLOW_BUNDLE) ? PREBUILT_WORKFLOW_BUNDLE : undefined);
  const workflowSource: Partial<WorkerOptions> = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...workflowSource,
    // Payloads are gzipped as the API's Client sends them; old histories' plain JSON passes through.
    dataConverter: SLUICE_DATA_CONVERTER,
    activities: createActivities({
      store: deps.store,
      runner: deps.runner ?? (config.kubernetes ? kubernetesRunner(config, config.kubernetes) : localRunner(config, deps.logger)),
      // A pod has its image's environment; the worker's (its PATH, its venv) means nothing there.
      stepEnv: config.kubernetes ? {} : buildStepEnv(config.venv, process.env, join(config.dataDir, 'cache', 'pip')),
      cacheEnabled: config.cacheEnabled,
    }),
    interceptors: { activity: [activityTelemetry(deps.logger)] },
    maxConcurrentActivityTaskExecutions: config.maxConcurrentTasks,
    // Core forwards heartbeats at most every 0.8 × the heartbeat timeout by default, which leaves a
    // loaded server too little margin; a quarter keeps healthy steps from timing out.
    maxHeartbeatThrottleInterval: `${Math.max(1, Math.floor((config.heartbeatTimeoutSeconds * 1000) / 4))}ms`,
    // Steps keep running through a worker shutdown; the next worker reattaches to them.
    shutdownGraceTime: '2s',
  });
}

/**
 * A root worker runs steps as an unprivileged user (`nobody` unless configured). When that user
 * cannot reach the interpreter or the artifact root, a configured user is an error, and the
 * default falls back to the worker's own user, saying so.
 */
function localRunner(config: SluiceConfig, logger: Logger): LocalProcessRunner {
  const runAs = resolveStepUser(config.stepUser);
  const blocked = runAs && stepUserBlocked(runAs, config.venv, config.artifactRoot);
  if (!blocked) return new LocalProcessRunner({ runAs });
  if (config.stepUser) throw new ConfigError(`stepUser: ${blocked}; allow it with chmod o+x, or set SLUICE_STEP_USER=inherit`);
  logger.warn(`steps run as the worker's own user, because ${blocked}; make it enterable (chmod o+x) to run steps unprivileged`);
  return new LocalProcessRunner();
}

/**
 * Steps as pods in the configured cluster: the kubeconfig file when one is set, else $KUBECONFIG
 * or the in-cluster service account. A launch that cannot become a pod fails its task at once.
 */
function kubernetesRunner(config: SluiceConfig, k8s: KubernetesRunnerConfig): KubernetesRunner {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromDefault();
  return new KubernetesRunner(kc, {
    namespace: k8s.namespace,
    unschedulableTimeoutMs: config.k8sUnschedulableTimeoutSeconds * 1000,
    writableBy: k8s.securityContext,
    retention: k8s.podRetention,
    podFor: (spec) => {
      try {
        return buildPod(podLaunchOf(spec), k8s);
      } catch (err) {
        if (err instanceof PodSpecError) throw ApplicationFailure.create({ message: `task ${spec.task?.taskPath ?? spec.name}: ${err.message}`, type: FailureTypes.invalidTask, nonRetryable: true });
        throw err;
      }
    },
  });
}

/** Failure types that are a pipeline's own outcome, already recorded and shown; not worker trouble. */
const EXPECTED_FAILURES = new Set<string>(Object.values(FailureTypes));

/**
 * Routes the Temporal SDK's logs (its TypeScript side and its native core) into `logger`, with
 * their metadata as fields (workflow and activity ids). A failed step or run is an outcome the
 * store and API already show, so its SDK warnings are dropped rather than logged with a stack
 * trace. With `metrics`, the SDK's metrics are served on its `address` (a free loopback port when
 * unset) for this process's `/metrics` to include. Call once per process, before the first worker
 * or connection.
 */
export async function installTemporalRuntime(logger: Logger, metrics?: { address?: string }): Promise<void> {
  const sdkLogger = new DefaultLogger('DEBUG', (entry: LogEntry) => {
    const { error, ...meta } = (entry.meta ?? {}) as { error?: { type?: string; message?: string } } & Record<string, unknown>;
    if (error?.type && EXPECTED_FAILURES.has(error.type)) return;
    const level = entry.level === 'WARN' ? 'warn' : entry.level === 'ERROR' ? 'error' : entry.level === 'INFO' ? 'info' : 'debug';
    logger[level]({ source: 'temporal', ...meta, ...(error ? { error: error.message?.split('\n')[0] } : {}) }, entry.message);
  });
  const bindAddress = metrics && (metrics.address ?? `127.0.0.1:${await freePort()}`);
  try {
    Runtime.install({
      logger: sdkLogger,
      telemetryOptions: {
        logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
        ...(bindAddress ? { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } : {}),
      },
    });
    if (bindAddress) setTemporalSdkMetricsUrl(`http://${bindAddress}/metrics`);
  } catch {
    // Installed already by an earlier stack in this process (tests start several).
  }
}
