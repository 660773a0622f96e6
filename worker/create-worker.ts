import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
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
import { claimStepOf, workspaceClaim } from '../activities/runners/kubernetes/claims';
import { KubernetesRunner } from '../activities/runners/kubernetes/kubernetes-runner';
import { podLaunchOf } from '../activities/runners/kubernetes/pod-launch-of';
import { PodSpecError } from '../activities/runners/kubernetes/pod-spec-error';
import { parseKubernetesPlatform } from '../activities/runners/kubernetes/platform-config';
import type { KubernetesRunnerConfig } from '../activities/runners/kubernetes/runner-config';
import { LocalProcessRunner } from '../activities/runners/local-process-runner';
import type { Runner } from '../activities/runners/runner';
import { ConfigError, PROJECT_ROOT, type SluiceConfig } from '../config/config';
import { kubernetesStepOf } from '../ir/platform';
import { FailureTypes } from '../config/constants';
import { SLUICE_DATA_CONVERTER } from '../config/payload-codec';
import type { MetadataStore } from '../store/types';
import { PythonEnvs } from '../activities/runners/python-envs';
import { PythonZygotes } from '../activities/runners/zygotes';
import { buildStepEnv } from './step-env';
import { collectRuntimeGarbage, usageMarker } from './runtime-gc';
import { ensureStepRuntime, runtimeEnv } from './step-runtime';
import { confineSteps, resolveStepUser, stepUserBlocked } from './step-user';
import { bundleSluiceWorkflows } from './workflow-bundle';

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
    : { workflowBundle: await bundleSluiceWorkflows() };
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...workflowSource,
    // Payloads are gzipped as the API's Client sends them; old histories' plain JSON passes through.
    dataConverter: SLUICE_DATA_CONVERTER,
    activities: createActivities({
      store: deps.store,
      // A pod has its image's environment; the worker's (its PATH, its runtime) means nothing there.
      ...(config.kubernetes ? { runner: deps.runner ?? kubernetesRunner(config, config.kubernetes), stepEnv: {} } : await localSteps(config, deps.runner, deps.logger)),
      cacheEnabled: config.cacheEnabled,
    }),
    interceptors: { activity: [activityTelemetry(deps.logger)] },
    maxConcurrentActivityTaskExecutions: config.maxConcurrentTasks,
    // Steps run inline (local activities) first: the same slots, as a step holds one either way.
    maxConcurrentLocalActivityExecutions: config.maxConcurrentTasks,
    // Core forwards heartbeats at most every 0.8 × the heartbeat timeout by default, which leaves a
    // loaded server too little margin; a quarter keeps healthy steps from timing out.
    maxHeartbeatThrottleInterval: `${Math.max(1, Math.floor((config.heartbeatTimeoutSeconds * 1000) / 4))}ms`,
    // Steps keep running through a worker shutdown; the next worker reattaches to them.
    shutdownGraceTime: '2s',
  });
}

/**
 * What local steps run with: under a root worker, a sandbox per launch (`step-sandbox.ts`: a uid
 * of its own unless one user is configured, never root; its own `/tmp`; no network unless
 * `stepNetwork` is `host`), the steps' Python runtime (`step-runtime.ts`) and the environments
 * built for lightweight components' requirements. A worker that cannot confine its steps, or
 * whose steps cannot reach the runtime or the artifact root, refuses to start, saying what to change.
 */
async function localSteps(config: SluiceConfig, runner: Runner | undefined, logger: Logger): Promise<{ runner: Runner; stepEnv: Record<string, string>; pythonEnvs: PythonEnvs }> {
  const identity = resolveStepUser(config.stepUser, config.stepUids);
  const runtimeRoot = config.stepRuntimeDir ?? join(config.dataDir, 'runtime');
  const runtime = await ensureStepRuntime(config.venv, runtimeRoot);
  const markUsed = usageMarker();
  await markUsed(runtime.dir);
  // A worker may run for months: its runtime stays in use as long as it does.
  setInterval(() => void markUsed(runtime.dir), 60 * 60 * 1000).unref();
  const removed = await collectRuntimeGarbage(runtimeRoot, runtime.dir, config.stepRuntimeRetentionDays * 24 * 60 * 60 * 1000);
  if (removed.length) logger.info({ removed }, `removed ${removed.length} steps' runtime(s) and environment(s) unused for ${config.stepRuntimeRetentionDays} days`);
  let confine: Awaited<ReturnType<typeof confineSteps>> | undefined;
  if (identity) {
    const blocked = stepUserBlocked(identity, runtime.dir, config.artifactRoot);
    if (blocked) throw new ConfigError(`stepUser: ${blocked}, and steps never run as root; allow it with chmod o+x on that directory, or choose a data directory (SLUICE_DATA_DIR) outside it`);
    // Steps may enter the artifact root (with a run's path) but not list it: other runs stay out of sight.
    await mkdir(config.artifactRoot, { recursive: true });
    await chmod(config.artifactRoot, 0o711);
    confine = await confineSteps(identity, config.dataDir, config.stepNetwork, [config.artifactRoot, runtimeRoot, ...config.pipelineRoots]);
  }
  const who = identity ? `${identity.name}, ${config.stepNetwork === 'isolated' ? 'without network' : "on the host's network"}` : "the worker's own user";
  logger.info({ stepUser: identity?.name ?? 'the worker\'s own user', stepNetwork: identity ? config.stepNetwork : 'host', python: runtime.dir }, `local steps run as ${who}, with Python from ${runtime.dir}`);
  const pipSettings = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('PIP_') && e[1] !== undefined));
  const stepEnv = buildStepEnv(runtime, process.env);
  const builderEnv = { ...pipSettings, ...runtimeEnv(runtime, '/usr/local/bin:/usr/bin:/bin'), LANG: process.env.LANG ?? 'C.UTF-8' };
  return {
    runner: runner ?? new LocalProcessRunner({ confine, testHoldDir: config.testLaunchHoldDir, zygotes: config.pythonZygote ? new PythonZygotes({ python: join(runtime.dir, 'bin', 'python3'), env: stepEnv, max: config.pythonZygotes, warn: (message) => logger.warn(message) }) : undefined }),
    stepEnv,
    pythonEnvs: new PythonEnvs(runtime.dir, join(runtimeRoot, 'envs'), identity?.builder ?? {}, builderEnv, markUsed),
  };
}

/**
 * Steps as pods in the configured cluster: the kubeconfig file when one is set, else $KUBECONFIG
 * or the in-cluster service account. A launch that cannot become a pod (or claim) fails its task
 * at once; so does a run whose workspace cannot become a claim.
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
    podFor: (spec) => finalOnPodSpecError(`task ${spec.task?.taskPath ?? spec.name}`, () => buildPod(podLaunchOf(spec), k8s)),
    claimStepFor: (spec) => kubernetesStepOf(spec.image) && finalOnPodSpecError(`task ${spec.task?.taskPath ?? spec.name}`, () => claimStepOf(podLaunchOf(spec), k8s.namespace)),
    workspaceClaimFor: (runId, platformSpec) =>
      finalOnPodSpecError(`the workspace of run ${runId}`, () => {
        const workspace = parseKubernetesPlatform(platformSpec).pipelineConfig?.workspace;
        return workspace && workspaceClaim(runId, k8s.namespace, workspace, k8s.workspaceClaim);
      }),
  });
}

/** `build()`, a PodSpecError becoming a final InvalidTask failure of `what`: the same input always fails the same way. */
function finalOnPodSpecError<T>(what: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof PodSpecError) throw ApplicationFailure.create({ message: `${what}: ${err.message}`, type: FailureTypes.invalidTask, nonRetryable: true });
    throw err;
  }
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
