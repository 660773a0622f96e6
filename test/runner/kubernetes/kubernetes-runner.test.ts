import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { buildPod } from '../../../activities/runners/kubernetes/build-pod';
import { claimStepOf } from '../../../activities/runners/kubernetes/claims';
import { KubernetesRunner } from '../../../activities/runners/kubernetes/kubernetes-runner';
import type { PodLaunch } from '../../../activities/runners/kubernetes/pod-launch';
import type { LaunchHandle } from '../../../activities/runners/runner';
import { kubeControlPlaneUnavailable, type KubeControlPlane } from '../../../stack/kube-control-plane';
import { startKubeWithArtifacts } from '../../../stack/kube-artifact-store';
import { saySkipped } from '../../support/say-skipped';
import { launchWith, podLaunch, runnerConfig } from './pod-fixtures';
import { resolveResources } from '../../../ir/resources';

// The Kubernetes runner against the real test control plane (kube-apiserver, scheduler,
// controller manager, kwok): pods built by buildPod, created, watched, classified, logged and
// deleted through the real API. kwok plays the kubelet; a pod's kwok.sluice.dev/* annotations
// choose how it ends (scripts/k8s/kwok-stages.yaml).

const unavailable = kubeControlPlaneUnavailable();
if (unavailable) saySkipped(`the Kubernetes runner tests: ${unavailable}`);
const describeKube = unavailable ? describe.skip : describe;

const NS = 'default';
const never = new AbortController().signal;

describeKube('KubernetesRunner on a real control plane', () => {
  let cluster: KubeControlPlane;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const root = mkdtempSync(join(tmpdir(), 'sluice-k8s-runner-'));
  const config = runnerConfig({ artifactStore: { mountPath: root } });
  /** kwok behaviour for the next pods, by launch name. */
  const behaviour = new Map<string, { annotations?: Record<string, string>; nodeSelector?: Record<string, string>; deadline?: number }>();

  const podFor = (launch: PodLaunch): V1Pod => {
    const pod = buildPod(launch, config);
    const b = behaviour.get(launch.name);
    pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, ...b?.annotations } };
    if (b?.nodeSelector) pod.spec!.nodeSelector = b.nodeSelector;
    if (b?.deadline) pod.spec!.activeDeadlineSeconds = b.deadline;
    return pod;
  };
  const runner = (opts: { unschedulableTimeoutMs?: number } = {}) =>
    new KubernetesRunner(kc, { namespace: NS, podFor: (spec) => podFor(spec as PodLaunch), relistMs: 2_000, ...opts });

  function launch(name: string, b: typeof behaviour extends Map<string, infer V> ? V : never = {}): PodLaunch {
    behaviour.set(name, b);
    const dir = join(root, name);
    mkdirSync(join(dir, 'launch'), { recursive: true });
    return podLaunch({ name, workDir: join(dir, 'launch'), logFile: join(dir, 'log.txt'), writableDirs: [join(dir, 'outputs')], env: {} });
  }

  const podsOf = async (name: string) => (await core.listNamespacedPod({ namespace: NS, fieldSelector: `metadata.name=${name}` })).items;

  beforeAll(async () => {
    ({ cluster, kc, core } = await startKubeWithArtifacts(root, NS, config.artifactStore.claimName));
  }, 120_000);
  afterAll(() => cluster?.stop());

  describe('claim steps (kfp-kubernetes CreatePVC / DeletePVC)', () => {
    const claimRunner = () =>
      new KubernetesRunner(kc, { namespace: NS, podFor: () => { throw new Error('a claim step runs no pod'); }, claimStepFor: (spec) => claimStepOf(spec as PodLaunch, NS) });
    /** Launch `n` of task `taskPath`, as prepareLaunch makes it, with the output file of `name`. */
    const claimLaunch = (image: string, taskPath: string, inputParameters: PodLaunch['inputParameters'], n = 1): PodLaunch => {
      const dir = mkdtempSync(join(root, 'claim-'));
      const base = { runId: 'run-claims', taskPath, launch: n, executorLabel: 'exec-createpvc', inputParameters, outputParameterFiles: { name: join(dir, 'name') } };
      return podLaunch({ ...base, name: `run-claims-${taskPath.replace(/\W+/g, '-')}-${n}`, image, argv: [], workDir: dir, writableDirs: [], task: base });
    };
    const readClaim = (name: string) => core.readNamespacedPersistentVolumeClaim({ name, namespace: NS });

    test('a retried CreatePVC finds the claim its launch created; its name is the output; a retried DeletePVC is done', async () => {
      const spec = claimLaunch('argostub/createpvc', 'root/createpvc', { access_modes: ['ReadWriteOnce'], size: '1Gi', pvc_name_suffix: '-scratch', storage_class_name: 'none' });
      const first = await claimRunner().start(spec);
      // Another runner stands for the activity retried on a new worker.
      const again = claimRunner();
      const second = await again.start(spec);
      expect(second.ref.claim).toBe(first.ref.claim);
      expect(await again.wait(second, never)).toEqual({ status: 'exited', exitCode: 0 });
      const name = String(first.ref.claim);
      expect(name).toMatch(/-scratch$/);
      expect(readFileSync(spec.task?.outputParameterFiles?.name ?? '', 'utf8')).toBe(name);
      const claim = await readClaim(name);
      expect(claim.spec?.resources?.requests?.storage).toBe('1Gi');
      expect(claim.metadata?.annotations?.['sluice.dev/task-path']).toBe('root/createpvc');

      const del = claimLaunch('argostub/deletepvc', 'root/deletepvc', { pvc_name: name });
      await claimRunner().start(del);
      await expect(claimRunner().start(del)).resolves.toMatchObject({ ref: { claim: name } });
      await expect(readClaim(name)).rejects.toMatchObject({ code: 404 });
    });

    test("a claim the API server refuses (a StorageClass name that is none) fails for good, with the server's reason", async () => {
      const spec = claimLaunch('argostub/createpvc', 'root/bad-class', { access_modes: ['ReadWriteOnce'], size: '1Gi', storage_class_name: 'Bad_Class' });
      await expect(claimRunner().start(spec)).rejects.toMatchObject({ type: 'LaunchFailed', nonRetryable: true, message: expect.stringMatching(/creating PersistentVolumeClaim .*refused it \(HTTP 422\): .*storageClassName/) });
    });

    test('a CreatePVC whose pvc_name another owner holds fails for good instead of adopting it', async () => {
      await core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: { metadata: { name: 'someone-elses' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'none', resources: { requests: { storage: '1Gi' } } } } });
      const spec = claimLaunch('argostub/createpvc', 'root/createpvc', { access_modes: ['ReadWriteOnce'], size: '1Gi', pvc_name: 'someone-elses' });
      await expect(claimRunner().start(spec)).rejects.toMatchObject({ type: 'LaunchFailed', nonRetryable: true, message: expect.stringMatching(/exists already .*not created by this task/) });
      expect((await readClaim('someone-elses')).metadata?.annotations?.['sluice.dev/task-path']).toBeUndefined();
    });
  });

  test('a pod that succeeds: exit code 0 and its log copied into the launch log', async () => {
    const spec = launch('ok-1');
    await cluster.setPodLogs(NS, spec.name, 'first line\nsecond line\n');
    const r = runner();
    const status = await r.wait(await r.start(spec), never);
    expect(status).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(spec.logFile, 'utf8')).toBe('first line\nsecond line\n');
  });

  test('a second start of the same launch reads the pod back: one pod, the same uid', async () => {
    const spec = launch('twice-1', { annotations: { 'kwok.sluice.dev/run-for': '2s' } });
    const first = await runner().start(spec);
    // Another runner stands for a new worker after a crash: it reattaches and follows the pod to its end.
    const next = runner();
    const again = await next.start(spec);
    expect(again.ref.uid).toBe(first.ref.uid);
    expect(await podsOf(spec.name)).toHaveLength(1);
    expect(await next.wait(again, never)).toEqual({ status: 'exited', exitCode: 0 });
  });

  test('attach finds a running pod, never creates one, and its handle stops the pod', async () => {
    const spec = launch('attach-1', { annotations: { 'kwok.sluice.dev/outcome': 'run' } });
    const r = runner();
    expect(await r.attach(spec)).toBeUndefined();
    expect(await podsOf(spec.name)).toHaveLength(0);
    const started = await r.start(spec);
    await untilPhase(spec.name, 'Running');
    const attached = await runner().attach(spec);
    expect(attached?.ref.uid).toBe(started.ref.uid);
    await r.kill(attached!, 2_000);
    expect(await podsOf(spec.name)).toHaveLength(0);
    expect(await r.attach(spec)).toBeUndefined();
  });

  test('a non-zero exit is the exit code', async () => {
    const spec = launch('fail-1', { annotations: { 'kwok.sluice.dev/outcome': 'fail', 'kwok.sluice.dev/exit-code': '3' } });
    const r = runner();
    expect(await r.wait(await r.start(spec), never)).toEqual({ status: 'exited', exitCode: 3 });
  });

  test('OOMKilled is named, with the memory limit', async () => {
    const spec = launch('oom-1', { annotations: { 'kwok.sluice.dev/outcome': 'oom-killed' } });
    const r = runner();
    const status = await r.wait(await r.start(spec), never);
    expect(status).toMatchObject({ status: 'failed', reason: 'OOMKilled', exitCode: 137, retryable: true });
  });

  test('an image that cannot be pulled fails the launch for good, with the kubelet message', async () => {
    const spec = launch('pull-1', { annotations: { 'kwok.sluice.dev/outcome': 'image-pull-failure' } });
    const r = runner();
    const status = await r.wait(await r.start(spec), never);
    expect(status).toMatchObject({ status: 'failed', reason: 'ImagePullBackOff', retryable: false });
    expect(status.status === 'failed' && status.message).toContain('python:3.11');
  });

  test('a pod no node fits fails after the unschedulable timeout with the scheduler message', async () => {
    const spec = launch('nowhere-1', { nodeSelector: { 'sluice.dev/pool': 'tpu' } });
    const r = runner({ unschedulableTimeoutMs: 1_500 });
    const status = await r.wait(await r.start(spec), never);
    expect(status).toMatchObject({ status: 'failed', reason: 'Unschedulable', retryable: false });
    expect(status.status === 'failed' && status.message).toMatch(/didn't match Pod's node affinity\/selector/);
  });

  test('past activeDeadlineSeconds the launch has timed out', async () => {
    const spec = launch('slow-1', { annotations: { 'kwok.sluice.dev/outcome': 'run' }, deadline: 1 });
    const r = runner();
    const status = await r.wait(await r.start(spec), never);
    expect(status).toMatchObject({ status: 'failed', reason: 'DeadlineExceeded', timedOut: true, retryable: false });
  });

  test('kill deletes the pod; waiting on it then reports the launch lost', async () => {
    const spec = launch('kill-1', { annotations: { 'kwok.sluice.dev/outcome': 'run' } });
    const r = runner();
    const handle = await r.start(spec);
    await untilPhase(spec.name, 'Running');
    await r.kill(handle, 2_000);
    expect(await podsOf(spec.name)).toHaveLength(0);
    expect(await r.wait(handle, never)).toMatchObject({ status: 'lost' });
  });

  test('a pod deleted from outside while watched is reported lost', async () => {
    const spec = launch('deleted-1', { annotations: { 'kwok.sluice.dev/outcome': 'run' } });
    const r = runner();
    const handle = await r.start(spec);
    const waiting = r.wait(handle, never);
    await untilPhase(spec.name, 'Running');
    await core.deleteNamespacedPod({ name: spec.name, namespace: NS });
    expect(await waiting).toMatchObject({ status: 'lost', reason: expect.stringContaining('deleted') });
  });

  test('an aborted wait leaves the pod running; a new follower resumes the log without repeating lines', async () => {
    const spec = launch('resume-1', { annotations: { 'kwok.sluice.dev/run-for': '3s' } });
    await cluster.setPodLogs(NS, spec.name, 'a\nb\nc\n');
    const handle: LaunchHandle = await runner().start(spec);
    const abort = new AbortController();
    const first = runner().wait(handle, abort.signal);
    await untilPhase(spec.name, 'Running');
    await waitUntil(() => existsSync(spec.logFile) && readFileSync(spec.logFile, 'utf8') === 'a\nb\nc\n');
    abort.abort();
    expect(await first).toEqual({ status: 'running' });
    expect(await podsOf(spec.name)).toHaveLength(1);
    expect(await runner().wait(handle, never)).toEqual({ status: 'exited', exitCode: 0 });
    expect(readFileSync(spec.logFile, 'utf8')).toBe('a\nb\nc\n');
  });

  test("retention keep-failed: a succeeded launch's pod is deleted once released, a failed one's kept", async () => {
    const r = new KubernetesRunner(kc, { namespace: NS, podFor: (spec) => podFor(spec as PodLaunch), retention: 'keep-failed' });
    const ok = launch('kept-ok-1');
    const bad = launch('kept-bad-1', { annotations: { 'kwok.sluice.dev/outcome': 'fail' } });
    const [okHandle, badHandle] = [await r.start(ok), await r.start(bad)];
    expect(await r.wait(okHandle, never)).toEqual({ status: 'exited', exitCode: 0 });
    expect(await r.wait(badHandle, never)).toEqual({ status: 'exited', exitCode: 1 });
    await r.release(okHandle, true);
    await r.release(badHandle, false);
    expect(await podsOf(ok.name)).toHaveLength(0);
    expect(await podsOf(bad.name)).toHaveLength(1);
  });

  test('progress reports the pod and its phase while it runs', async () => {
    const spec = launch('progress-1', { annotations: { 'kwok.sluice.dev/run-for': '1s' } });
    const r = runner();
    const seen: Record<string, string>[] = [];
    expect(await r.wait(await r.start(spec), never, (now) => seen.push(now))).toEqual({ status: 'exited', exitCode: 0 });
    expect(seen.map((s) => s.phase)).toContain('Running');
    expect(seen.every((s) => s.pod === spec.name)).toBe(true);
  });

  /** kfp-kubernetes executor configs as the compiler writes them, covering every kind of field. */
  const SPREAD: Record<string, unknown> = {
    'secrets and config maps': {
      secretAsEnv: [{ secretName: 'creds', keyToEnv: [{ secretKey: 'password', envVar: 'PASSWORD' }] }],
      secretAsVolume: [{ secretName: 'tls', mountPath: '/mnt/tls', optional: true }],
      configMapAsEnv: [{ configMapName: 'settings', keyToEnv: [{ configMapKey: 'level', envVar: 'LEVEL' }] }],
      configMapAsVolume: [{ configMapName: 'settings', mountPath: '/etc/settings' }],
    },
    'persistent volume claims': { pvcMount: [{ constant: 'fixed-pvc', mountPath: '/fixed' }, { constant: 'fixed-pvc', mountPath: '/fixed-sub', subPath: 'part/one' }] },
    scheduling: {
      nodeSelector: { labels: { 'sluice.dev/pool': 'gpu' } },
      tolerations: [
        { effect: 'NoSchedule', key: 'nvidia.com/gpu', operator: 'Exists' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: '10' },
      ],
      nodeAffinity: [{ matchExpressions: [{ key: 'sluice.dev/pool', operator: 'In', values: ['gpu', 'cpu'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] }], weight: 50.0 }],
    },
    'pod metadata and field paths': {
      fieldPathAsEnv: [{ fieldPath: "metadata.annotations['task-annotation']", name: 'POD_TASK_ANNOTATION' }, { fieldPath: 'status.podIP', name: 'POD_IP' }],
      podMetadata: { annotations: { 'task-annotation': 'annotation' }, labels: { 'task-label-1': 'label-1' } },
    },
    'volumes of the pod': {
      emptyDirMounts: [{ volumeName: 'scratch', mountPath: '/scratch', medium: 'Memory', sizeLimit: '1Gi' }],
      enabledSharedMemory: { size: '2Gi' },
      genericEphemeralVolume: [{ volumeName: 'eph', mountPath: '/eph', accessModes: ['ReadWriteOnce'], size: '5Gi', defaultStorageClass: true }],
    },
    'image, deadline and pull secrets': { imagePullPolicy: 'Always', imagePullSecret: [{ secretName: 'registry' }], activeDeadlineSeconds: '600' },
  };

  test.each(Object.entries(SPREAD))('the API server accepts the pod buildPod makes for %s (dry run and creation)', async (title, executorConfig) => {
    const name = `spread-${title.replace(/[^a-z]+/g, '-')}`.slice(0, 40).replace(/-$/, '');
    // Created, never run: the fixtures' own artifact root will do.
    const pod = buildPod(launchWith(executorConfig, { name, resources: resolveResources({ cpuLimit: 2, memoryLimit: 4, accelerator: { type: 'NVIDIA_TESLA_T4', count: '1' } }, {}, 'train') }), runnerConfig());
    const dry = await core.createNamespacedPod({ namespace: NS, body: pod, dryRun: 'All' });
    expect(dry.metadata?.name).toBe(name);
    const created = await core.createNamespacedPod({ namespace: NS, body: pod });
    // What was sent is what the server kept: no field dropped as unknown.
    expect(created.spec?.containers[0].command).toEqual(pod.spec?.containers[0].command);
    expect(created.spec?.volumes?.map((v) => v.name)).toEqual(pod.spec?.volumes?.map((v) => v.name));
    await core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 });
  });

  test("the real scheduler honours the platform spec's node selector and tolerations", async () => {
    const spec: PodLaunch = {
      ...launch('gpu-pool-1'),
      platform: launchWith(SPREAD.scheduling).platform,
      resources: resolveResources({ accelerator: { type: 'NVIDIA_TESLA_T4', count: '1' } }, {}, 'train'),
    };
    const r = runner();
    expect(await r.wait(await r.start(spec), never)).toEqual({ status: 'exited', exitCode: 0 });
    const [pod] = await podsOf(spec.name);
    expect(pod.spec?.nodeName).toBe('kwok-gpu-0');
    expect(pod.spec?.containers[0].resources?.limits?.['nvidia.com/gpu']).toBe('1');
  });

  async function untilPhase(name: string, phase: string): Promise<void> {
    await waitUntil(async () => (await podsOf(name))[0]?.status?.phase === phase);
  }
});

async function waitUntil(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
