import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PROJECT_ROOT } from '../config/config';
import { freePort } from './free-port';
import { waitFor } from './wait';

/**
 * A real Kubernetes control plane for tests, on 127.0.0.1: etcd, kube-apiserver,
 * kube-scheduler, kube-controller-manager, and kwok in place of kubelets. kwok plays fake nodes
 * and moves their pods through phases as `scripts/k8s/kwok-stages.yaml` says; no container runs.
 * The binaries come from `scripts/k8s/build.mjs`.
 */

/** A fake node: kwok keeps it Ready and plays its pods. */
export interface FakeNode {
  name: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** Allocatable (and capacity) resources, e.g. `{ cpu: '8', memory: '32Gi', pods: '110' }`. */
  resources: Record<string, string>;
}

/**
 * The nodes a cluster gets unless told otherwise: a plain one for ordinary pods and a tainted one
 * with GPUs, for tests of node selectors, tolerations, resource requests and unschedulable pods.
 */
export const DEFAULT_FAKE_NODES: FakeNode[] = [
  { name: 'kwok-node-0', labels: { 'sluice.dev/pool': 'cpu' }, resources: { cpu: '8', memory: '32Gi', pods: '110' } },
  {
    name: 'kwok-gpu-0',
    labels: { 'sluice.dev/pool': 'gpu', 'nvidia.com/gpu.product': 'fake' },
    taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
    resources: { cpu: '16', memory: '64Gi', pods: '110', 'nvidia.com/gpu': '2' },
  },
];

export interface KubeControlPlaneOptions {
  /** A new directory for data, certificates, kubeconfigs and logs; a temporary one (removed by stop()) when unset. */
  dir?: string;
  nodes?: FakeNode[];
}

export interface KubeControlPlane {
  /** Kubeconfig of a cluster admin (token auth); its context is the current one. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The admin's bearer token, also in the kubeconfig. */
  token: string;
  /** PEM bundle that verifies the API server's certificate. */
  caFile: string;
  /** Each process's output: `<logDir>/<process>.log`. */
  logDir: string;
  /**
   * Makes `kubectl logs` of a pod return `text` (per container name, or for every container when
   * a string); set it before the pod runs. kwok serves pod logs from files that its Logs
   * resources name.
   */
  setPodLogs(namespace: string, pod: string, text: string | Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/** What scripts/k8s/build.mjs leaves in the cache. */
const REQUIRED_FILES = [
  ...['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kwok'].map((b) => join('bin', b)),
  'kwok-logs-crd.yaml',
];
/**
 * The controllers a test of pods needs: default service accounts, namespace deletion, owner
 * references, Jobs, terminated pods, quotas, volume claims (bound to PersistentVolumes the test
 * creates; nothing provisions them), and node lifecycle, which lifts the not-ready taint a new
 * node is born with once kwok reports it Ready. Each controller more delays the start, as the
 * controller manager starts them one after another.
 */
const CONTROLLERS = [
  'serviceaccount-controller', 'namespace-controller', 'garbage-collector-controller', 'job-controller',
  'ttl-after-finished-controller', 'pod-garbage-collector-controller', 'resourcequota-controller',
  'persistentvolume-binder-controller', 'persistentvolume-protection-controller',
  'persistentvolumeclaim-protection-controller', 'ephemeral-volume-controller', 'node-lifecycle-controller',
];
const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
const KWOK_STAGES = join(PROJECT_ROOT, 'scripts', 'k8s', 'kwok-stages.yaml');

/** The build's cache (the same rule as scripts/k8s/build.mjs). */
export function kubeCacheDir(): string {
  return process.env.SLUICE_K8S_CACHE || join(homedir(), '.cache', 'sluice', 'k8s');
}

/** Why the control plane cannot start here (skipped, or not built), or undefined when it can. */
export function kubeControlPlaneUnavailable(): string | undefined {
  if (process.env.SLUICE_SKIP_K8S === '1') return 'SLUICE_SKIP_K8S=1 says to do without Kubernetes';
  const missing = REQUIRED_FILES.filter((f) => !existsSync(join(kubeCacheDir(), f)));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} missing in ${kubeCacheDir()}; build them with \`node scripts/k8s/build.mjs\` (the first build takes minutes)`;
}

export async function startKubeControlPlane(opts: KubeControlPlaneOptions = {}): Promise<KubeControlPlane> {
  const unavailable = kubeControlPlaneUnavailable();
  if (unavailable) throw new Error(`cannot start the Kubernetes control plane: ${unavailable}`);
  const bin = (name: string) => join(kubeCacheDir(), 'bin', name);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sluice-kube-'));
  const [certDir, logDir, podLogDir] = ['certs', 'logs', 'pod-logs'].map((d) => join(dir, d));
  for (const d of [certDir, logDir, podLogDir]) mkdirSync(d, { recursive: true });
  const [etcdPort, etcdPeerPort, apiPort, schedulerPort, controllerPort, kwokPort] = await Promise.all(Array.from({ length: 6 }, freePort));
  const server = `https://127.0.0.1:${apiPort}`;
  // The API server writes a self-signed serving certificate, followed by the CA that signed it,
  // when given none; that file is then also the CA bundle every client trusts.
  const caFile = join(certDir, 'apiserver.crt');

  // Identities: static bearer tokens. The scheduler gets the user the bootstrap RBAC policy
  // grants its role to. The controller manager is a cluster admin rather than acting per
  // controller as its service account (--use-service-account-credentials), which costs a service
  // account and a token request per controller at start.
  const users = {
    admin: { name: 'sluice-admin', groups: ['system:masters'] },
    scheduler: { name: 'system:kube-scheduler', groups: [] },
    controllerManager: { name: 'kube-controller-manager', groups: ['system:masters'] },
    kwok: { name: 'kwok', groups: ['system:masters'] },
  };
  const tokens = Object.fromEntries(Object.keys(users).map((u) => [u, randomBytes(24).toString('hex')])) as Record<keyof typeof users, string>;
  const tokenFile = join(certDir, 'tokens.csv');
  writeFileSync(tokenFile, Object.entries(users).map(([key, u]) =>
    `${tokens[key as keyof typeof users]},${u.name},${u.name},"${u.groups.join(',')}"`).join('\n') + '\n', { mode: 0o600 });
  const kubeconfig = (who: keyof typeof users) => {
    const file = join(certDir, `${who}.kubeconfig`);
    writeFileSync(file, kubeconfigFor(server, caFile, users[who].name, tokens[who]), { mode: 0o600 });
    return file;
  };
  // Service-account tokens are signed with this key and verified with its public half.
  const saKey = join(certDir, 'service-account.key');
  writeFileSync(saKey, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });

  const processes: Started[] = [];
  const start = (name: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const started = startProcess(name, bin(name), args, join(logDir, `${name}.log`), env);
    processes.push(started);
    return started;
  };
  const stopProcesses = async () => {
    process.removeListener('exit', killAll);
    // Reverse order: clients before the API server, the API server before etcd.
    for (const p of [...processes].reverse()) await p.stop();
  };
  // A test process that exits without stop() must not leave a cluster running on a shared
  // machine, nor its data (etcd alone preallocates 64 MB of log).
  const killAll = () => {
    processes.forEach((p) => p.kill());
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killAll);

  try {
    const etcd = start('etcd', [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      // A test cluster's data need not survive a power cut; fsync dominates its write latency.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    // Flags after controller-runtime's envtest, except: the ServiceAccount admission plugin stays
    // on (the controller manager creates the default service accounts), the API server reaches
    // kwok's "kubelet" by its InternalIP for pod logs, and it advertises itself on loopback.
    const apiserver = start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      // Advertised on loopback, independent of the host's network; Endpoints may not name a
      // loopback address, so the `kubernetes` service is left without them (no pod runs anyway).
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--kubelet-preferred-address-types=InternalIP',
    ]);
    const admin = { server, caFile, token: tokens.admin };
    await waitFor(`kube-apiserver at ${server} (log: ${apiserver.logFile})`, async () => {
      for (const p of [etcd, apiserver]) p.assertRunning();
      if (!existsSync(caFile)) throw new Error(`${caFile} is not written yet`);
      await api(admin, 'GET', '/readyz');
    }, { timeoutMs: 60_000, fatal: isExit });

    const scheduler = start('kube-scheduler', [
      `--kubeconfig=${kubeconfig('scheduler')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
      '--leader-elect=false',
    ]);
    const controllerManager = start('kube-controller-manager', [
      `--kubeconfig=${kubeconfig('controllerManager')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${controllerPort}`,
      '--leader-elect=false',
      `--controllers=${CONTROLLERS.join(',')}`,
    ]);

    const logsCrd = parseYaml(readFileSync(join(kubeCacheDir(), 'kwok-logs-crd.yaml'), 'utf8')) as { metadata: { name: string } };
    await api(admin, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', logsCrd);
    await Promise.all((opts.nodes ?? DEFAULT_FAKE_NODES).map((n) => api(admin, 'POST', '/api/v1/nodes', nodeObject(n))));
    await waitFor('the Logs CRD to be established', async () => {
      const crd = await api(admin, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${logsCrd.metadata.name}`) as CrdStatus;
      if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) throw new Error('not established yet');
    }, { timeoutMs: 30_000 });

    const kwokConfig = join(dir, 'kwok.yaml');
    copyFileSync(KWOK_STAGES, kwokConfig);
    const kwok = start('kwok', [
      `--kubeconfig=${kubeconfig('kwok')}`,
      `--config=${kwokConfig}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      '--node-ip=127.0.0.1',
      `--node-port=${kwokPort}`,
      `--server-address=127.0.0.1:${kwokPort}`,
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.1/16',
      '--enable-crds=Logs',
    // kwok also reads ~/.kwok/kwok.yaml when it exists; its own HOME keeps a developer's out.
    ], { ...process.env, HOME: dir });

    await Promise.all([
      waitFor(`kube-scheduler (log: ${scheduler.logFile})`, async () => {
        scheduler.assertRunning();
        await healthz(schedulerPort);
      }, { timeoutMs: 30_000, fatal: isExit }),
      waitFor(`kube-controller-manager to create the default service account (log: ${controllerManager.logFile})`, async () => {
        controllerManager.assertRunning();
        await api(admin, 'GET', '/api/v1/namespaces/default/serviceaccounts/default');
      }, { timeoutMs: 60_000, fatal: isExit }),
      waitFor(`the fake nodes to be Ready (kwok) and schedulable (controller manager) (log: ${kwok.logFile})`, async () => {
        kwok.assertRunning();
        controllerManager.assertRunning();
        const nodes = await api(admin, 'GET', '/api/v1/nodes') as { items: NodeState[] };
        const notReady = nodes.items.filter((n) => !n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          || n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready'));
        if (notReady.length > 0) throw new Error(`not ready: ${notReady.map((n) => n.metadata.name).join(', ')}`);
      }, { timeoutMs: 30_000, fatal: isExit }),
    ]);

    const kubeconfigPath = kubeconfig('admin');
    return {
      kubeconfigPath,
      server,
      token: tokens.admin,
      caFile,
      logDir,
      async setPodLogs(namespace, pod, text) {
        const perContainer = typeof text === 'string' ? { '': text } : text;
        const logs = Object.entries(perContainer).map(([container, content]) => {
          const logsFile = join(podLogDir, `${namespace}_${pod}_${container || 'all'}.log`);
          writeFileSync(logsFile, criLog(content));
          return { ...(container ? { containers: [container] } : {}), logsFile };
        });
        await api(admin, 'POST', `/apis/kwok.x-k8s.io/v1alpha1/namespaces/${namespace}/logs`, {
          apiVersion: 'kwok.x-k8s.io/v1alpha1',
          kind: 'Logs',
          metadata: { name: pod, namespace },
          spec: { logs },
        });
      },
      async stop() {
        await stopProcesses();
        if (!opts.dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    // The directory stays: its logs say why the start failed.
    await stopProcesses();
    throw new Error(`the Kubernetes control plane did not start (logs in ${logDir}): ${(err as Error).message}`, { cause: err });
  }
}

interface Started {
  logFile: string;
  /** Throws (an "exited" error) when the process has ended. */
  assertRunning(): void;
  /** SIGKILLs the process at once (for process exit). */
  kill(): void;
  /** SIGTERMs the process, then SIGKILLs it after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `file` with its output appended to `logFile`. The process stays in the caller's process
 * group: none of these servers starts processes of its own, and a Ctrl-C of the test run (which
 * signals the whole foreground group) then ends the cluster too.
 */
function startProcess(name: string, file: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Started {
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', out, out], env });
  closeSync(out);
  let failure: Error | undefined;
  const exited = new Promise<void>((res) => {
    child.once('exit', () => res());
    child.once('error', (err) => {
      failure = err;
      res();
    });
  });
  const running = () => !failure && child.exitCode === null && child.signalCode === null;
  return {
    logFile,
    assertRunning() {
      if (failure) throw new ProcessExited(`${name} could not start: ${failure.message}`);
      if (!running()) throw new ProcessExited(`${name} exited (${child.exitCode ?? child.signalCode}); its log ends:\n${tail(logFile)}`);
    },
    kill: () => child.kill('SIGKILL'),
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

class ProcessExited extends Error {}
const isExit = (err: unknown) => err instanceof ProcessExited;

function tail(file: string, lines = 20): string {
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

interface ApiTarget { server: string; caFile: string; token: string }
interface NodeState { metadata: { name: string }; spec?: { taints?: { key: string }[] }; status?: { conditions?: { type: string; status: string }[] } }
interface CrdStatus { status?: { conditions?: { type: string; status: string }[] } }

/** One request to the API server as `target.token`; resolves with the parsed body, rejects on a non-2xx status. */
function api(target: ApiTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(`${target.server}${path}`, {
      method,
      ca: readFileSync(target.caFile),
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', accept: 'application/json' },
      timeout: 5_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 300) return reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 500)}`));
        try {
          resolve(text.startsWith('{') ? JSON.parse(text) : text);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** GET /healthz of a component's own HTTPS port (self-signed in memory; /healthz needs no credentials). */
function healthz(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`healthz answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('healthz timed out')));
    req.on('error', reject);
    req.end();
  });
}

function kubeconfigFor(server: string, caFile: string, user: string, token: string): string {
  // JSON is YAML, and every kubeconfig reader accepts it.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sluice-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'sluice-test', context: { cluster: 'sluice-test', user } }],
    'current-context': 'sluice-test',
  }, null, 2);
}

function nodeObject(node: FakeNode): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      // kwok manages only nodes with this annotation (--manage-nodes-with-annotation-selector).
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...node.labels,
      },
    },
    spec: { taints: node.taints ?? [] },
    // The API server keeps a new node's status; kwok's node-initialize stage leaves these as they are.
    status: { allocatable: node.resources, capacity: node.resources },
  };
}

/** Log text in the CRI format kwok reads (`<time> stdout F <line>` per line). */
function criLog(text: string): string {
  const now = new Date().toISOString();
  return text.replace(/\n$/, '').split('\n').map((line) => `${now} stdout F ${line}\n`).join('');
}
