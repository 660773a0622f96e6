import { BatchV1Api, CoreV1Api, KubeConfig, VersionApi, type V1Pod } from '@kubernetes/client-node';
import { kubeControlPlaneUnavailable, startKubeControlPlane, type KubeControlPlane } from '../../stack/kube-control-plane';
import { waitFor } from '../../stack/wait';
import { saySkipped } from '../support/say-skipped';

// The real control plane (etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kwok)
// that the Kubernetes runner's tests run against. Pods never run a container: kwok moves them
// through their phases as scripts/k8s/kwok-stages.yaml says.

const unavailable = kubeControlPlaneUnavailable();
if (unavailable) saySkipped(`the Kubernetes control plane tests: ${unavailable}`);
const describeKube = unavailable ? describe.skip : describe;

const NS = 'default';

function pod(name: string, opts: { nodeSelector?: Record<string, string>; annotations?: Record<string, string> } = {}): V1Pod {
  return {
    metadata: { name, annotations: opts.annotations },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: opts.nodeSelector ?? { 'sluice.dev/pool': 'cpu' },
      containers: [{ name: 'main', image: 'python:3.11', command: ['python', '-c', 'print("hi")'] }],
    },
  };
}

describeKube('Kubernetes test control plane', () => {
  let cluster: KubeControlPlane;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startKubeControlPlane();
    process.stderr.write(`kube control plane started in ${Date.now() - started} ms\n`);
    kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(() => cluster?.stop());

  /** Polls the pod until `done` holds, and returns it. */
  async function podWhen(name: string, what: string, done: (p: V1Pod) => boolean, namespace = NS): Promise<V1Pod> {
    let last: V1Pod | undefined;
    await waitFor(`pod ${name} ${what}`, async () => {
      last = await core.readNamespacedPod({ name, namespace });
      if (!done(last)) throw new Error(`phase ${last.status?.phase}: ${JSON.stringify(last.status)}`);
    }, { timeoutMs: 30_000, intervalMs: 100 });
    return last!;
  }

  test('the API server is v1.34.4', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.34.4');
  });

  test('a pod is scheduled onto the fake node it selects and succeeds, and its logs are served', async () => {
    await cluster.setPodLogs(NS, 'ok', 'hello from a fake container\nsecond line\n');
    await core.createNamespacedPod({ namespace: NS, body: pod('ok') });
    const done = await podWhen('ok', 'succeeds', (p) => p.status?.phase === 'Succeeded');
    expect(done.spec?.nodeName).toBe('kwok-node-0');
    expect(done.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    expect(done.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    // kwok learns of the Logs object through its own watch, which may trail the pod's phases on a busy machine.
    let logs: string | undefined;
    await waitFor('the pod\'s logs to be served', async () => {
      logs = await core.readNamespacedPodLog({ name: 'ok', namespace: NS, container: 'main' });
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(logs).toBe('hello from a fake container\nsecond line\n');
  });

  test('a pod that no node fits stays Pending with the scheduler saying why', async () => {
    await core.createNamespacedPod({ namespace: NS, body: pod('nowhere', { nodeSelector: { 'sluice.dev/pool': 'tpu' } }) });
    const pending = await podWhen('nowhere', 'is found unschedulable', (p) =>
      p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ?? false);
    expect(pending.status?.phase).toBe('Pending');
    const scheduled = pending.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(scheduled?.status).toBe('False');
    expect(scheduled?.message).toMatch(/0\/2 nodes are available: .*didn't match Pod's node affinity\/selector/);
  });

  test('a pod that tolerates the GPU node\'s taint and requests a GPU runs there', async () => {
    const body = pod('gpu', { nodeSelector: { 'sluice.dev/pool': 'gpu' } });
    body.spec!.tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];
    body.spec!.containers[0].resources = { limits: { 'nvidia.com/gpu': '1' } };
    await core.createNamespacedPod({ namespace: NS, body });
    const done = await podWhen('gpu', 'succeeds', (p) => p.status?.phase === 'Succeeded');
    expect(done.spec?.nodeName).toBe('kwok-gpu-0');
  });

  test('a new namespace gets its default service account, and a Job there completes', async () => {
    await core.createNamespace({ body: { metadata: { name: 'jobs' } } });
    await waitFor('the default service account in namespace jobs', () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: 'jobs' }), { timeoutMs: 30_000 });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: 'jobs',
      body: { metadata: { name: 'once' }, spec: { backoffLimit: 0, template: pod('unused') } },
    });
    await waitFor('job once to complete', async () => {
      const job = await batch.readNamespacedJob({ name: 'once', namespace: 'jobs' });
      if (!job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) throw new Error(JSON.stringify(job.status));
    }, { timeoutMs: 30_000, intervalMs: 100 });
  });

  test('a pod made to fail ends Failed with its exit code', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: pod('fails', { annotations: { 'kwok.sluice.dev/outcome': 'fail', 'kwok.sluice.dev/exit-code': '42', 'kwok.sluice.dev/message': 'boom' } }),
    });
    const failed = await podWhen('fails', 'fails', (p) => p.status?.phase === 'Failed');
    expect(failed.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 42, reason: 'Error', message: 'boom' });
  });

  test('a pod made to run out of memory ends OOMKilled', async () => {
    await core.createNamespacedPod({ namespace: NS, body: pod('oom', { annotations: { 'kwok.sluice.dev/outcome': 'oom-killed' } }) });
    const failed = await podWhen('oom', 'is OOM-killed', (p) => p.status?.phase === 'Failed');
    expect(failed.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  test('a pod whose image cannot be pulled stays Pending in ImagePullBackOff', async () => {
    await core.createNamespacedPod({ namespace: NS, body: pod('no-image', { annotations: { 'kwok.sluice.dev/outcome': 'image-pull-failure' } }) });
    const stuck = await podWhen('no-image', 'backs off pulling its image', (p) =>
      p.status?.containerStatuses?.[0].state?.waiting?.reason === 'ImagePullBackOff');
    expect(stuck.status?.phase).toBe('Pending');
    expect(stuck.status?.containerStatuses?.[0].state?.waiting?.message).toContain('python:3.11');
  });

  test('a pod that runs past its activeDeadlineSeconds fails with DeadlineExceeded', async () => {
    const body = pod('too-slow', { annotations: { 'kwok.sluice.dev/outcome': 'run' } });
    body.spec!.activeDeadlineSeconds = 1;
    await core.createNamespacedPod({ namespace: NS, body });
    // A one-second Running phase can fall between two polls on a busy machine; the container's start time proves it ran.
    const failed = await podWhen('too-slow', 'exceeds its deadline', (p) => p.status?.phase === 'Failed');
    expect(failed.status?.reason).toBe('DeadlineExceeded');
    expect(failed.status?.containerStatuses?.[0].state?.terminated?.startedAt).toBeDefined();
  });

  test('a running pod is deleted at once', async () => {
    await core.createNamespacedPod({ namespace: NS, body: pod('forever', { annotations: { 'kwok.sluice.dev/outcome': 'run' } }) });
    await podWhen('forever', 'runs', (p) => p.status?.phase === 'Running');
    await core.deleteNamespacedPod({ name: 'forever', namespace: NS });
    await waitFor('pod forever to be gone', async () => {
      const found = await core.readNamespacedPod({ name: 'forever', namespace: NS }).then(() => true, (err: { code?: number }) => {
        if (err.code === 404) return false;
        throw err;
      });
      if (found) throw new Error('still there');
    }, { timeoutMs: 30_000, intervalMs: 100 });
  });

  test('a server-side dry run validates and admits a pod without creating it', async () => {
    const dry = await core.createNamespacedPod({ namespace: NS, body: pod('dry'), dryRun: 'All' });
    // Admission ran: the ServiceAccount plugin filled in the service account.
    expect(dry.spec?.serviceAccountName).toBe('default');
    await expect(core.readNamespacedPod({ name: 'dry', namespace: NS })).rejects.toMatchObject({ code: 404 });
    const invalid = pod('Not_A_Name');
    await expect(core.createNamespacedPod({ namespace: NS, body: invalid, dryRun: 'All' })).rejects.toMatchObject({ code: 422 });
  });
});
