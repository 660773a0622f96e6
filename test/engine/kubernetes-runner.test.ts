import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { POD_LABELS } from '../../activities/runners/kubernetes/metadata';
import type { PipelineSpec } from '../../ir/types';
import { kubeControlPlaneUnavailable, type KubeControlPlane } from '../../stack/kube-control-plane';
import { startTestEngine, type TestEngine } from '../support/engine';
import { startKubeWithArtifacts } from '../../stack/kube-artifact-store';
import { saySkipped } from '../support/say-skipped';

// Whole runs with runner=kubernetes: the engine on the real stack, every step a pod on the real
// test control plane (kwok plays the kubelet, so steps produce no files: these pipelines use
// no outputs). kwok.sluice.dev/* pod annotations, set through kfp-kubernetes' podMetadata, make
// a pod fail.

const unavailable = kubeControlPlaneUnavailable();
if (unavailable) saySkipped(`the engine on the Kubernetes runner: ${unavailable}`);
const describeKube = unavailable ? describe.skip : describe;

const NS = 'default';

/** A → B, then a ParallelFor of three iterations, and a step under a condition on `go`. */
function controlFlowSpec(): PipelineSpec {
  const noop = (name: string, extra: Record<string, unknown> = {}) => ({ taskInfo: { name }, componentRef: { name: 'comp-noop' }, ...extra });
  return {
    pipelineInfo: { name: 'k8s-control-flow' },
    schemaVersion: '2.1.0',
    sdkVersion: 'sluice-test',
    root: {
      inputDefinitions: { parameters: { go: { parameterType: 'BOOLEAN' } } },
      dag: {
        tasks: {
          a: noop('a'),
          b: noop('b', { dependentTasks: ['a'] }),
          'for-loop-1': {
            taskInfo: { name: 'for-loop-1' },
            componentRef: { name: 'comp-for-loop-1' },
            dependentTasks: ['b'],
            parameterIterator: { itemInput: 'pipelinechannel--loop-item-param-1', items: { raw: '[1, 2, 3]' } },
          },
          'condition-1': {
            taskInfo: { name: 'condition-1' },
            componentRef: { name: 'comp-condition-1' },
            inputs: { parameters: { 'pipelinechannel--go': { componentInputParameter: 'go' } } },
            triggerPolicy: { condition: "inputs.parameter_values['pipelinechannel--go'] == true" },
          },
        },
      },
    },
    components: {
      'comp-noop': { executorLabel: 'exec-noop' },
      'comp-for-loop-1': {
        inputDefinitions: { parameters: { 'pipelinechannel--loop-item-param-1': { parameterType: 'NUMBER_INTEGER' } } },
        dag: { tasks: { inner: noop('inner') } },
      },
      'comp-condition-1': {
        inputDefinitions: { parameters: { 'pipelinechannel--go': { parameterType: 'BOOLEAN' } } },
        dag: { tasks: { gated: noop('gated') } },
      },
    },
    deploymentSpec: { executors: { 'exec-noop': { container: { image: 'busybox:1.36', command: ['true'] } } } },
  };
}

/** One step whose pod kwok fails with exit code 7, by the annotations its platform spec gives it. */
function failingSpec(): { pipeline_spec: PipelineSpec; platform_spec: unknown } {
  return {
    pipeline_spec: {
      pipelineInfo: { name: 'k8s-fails' },
      schemaVersion: '2.1.0',
      root: { dag: { tasks: { boom: { taskInfo: { name: 'boom' }, componentRef: { name: 'comp-boom' } } } } },
      components: { 'comp-boom': { executorLabel: 'exec-boom' } },
      deploymentSpec: { executors: { 'exec-boom': { container: { image: 'busybox:1.36', command: ['false'] } } } },
    },
    platform_spec: {
      platforms: {
        kubernetes: {
          deploymentSpec: {
            executors: { 'exec-boom': { podMetadata: { annotations: { 'kwok.sluice.dev/outcome': 'fail', 'kwok.sluice.dev/exit-code': '7' } } } },
          },
        },
      },
    },
  };
}

/** One step whose pod runs until deleted, or fails past `deadline` seconds when one is given (kfp-kubernetes' set_timeout). */
function longSpec(name: string, deadline?: number): { pipeline_spec: PipelineSpec; platform_spec: unknown } {
  return {
    pipeline_spec: {
      pipelineInfo: { name },
      schemaVersion: '2.1.0',
      root: { dag: { tasks: { long: { taskInfo: { name: 'long' }, componentRef: { name: 'comp-long' } } } } },
      components: { 'comp-long': { executorLabel: 'exec-long' } },
      deploymentSpec: { executors: { 'exec-long': { container: { image: 'busybox:1.36', command: ['sleep', '3600'] } } } },
    },
    platform_spec: {
      platforms: {
        kubernetes: {
          deploymentSpec: {
            executors: {
              'exec-long': {
                podMetadata: { annotations: { 'kwok.sluice.dev/outcome': 'run' } },
                ...(deadline ? { activeDeadlineSeconds: String(deadline) } : {}),
              },
            },
          },
        },
      },
    },
  };
}

/** kfp-kubernetes' CreatePVC component as the kfp compiler writes it (pipeline_with_volume_long_name.yaml, descriptions left out). */
const CREATE_PVC_COMPONENT = {
  executorLabel: 'exec-createpvc',
  inputDefinitions: {
    parameters: {
      access_modes: { parameterType: 'LIST' },
      annotations: { isOptional: true, parameterType: 'STRUCT' },
      data_source: { isOptional: true, parameterType: 'STRUCT' },
      pvc_name: { isOptional: true, parameterType: 'STRING' },
      pvc_name_suffix: { isOptional: true, parameterType: 'STRING' },
      size: { parameterType: 'STRING' },
      storage_class_name: { defaultValue: '', isOptional: true, parameterType: 'STRING' },
      volume_name: { isOptional: true, parameterType: 'STRING' },
    },
  },
  outputDefinitions: { parameters: { name: { parameterType: 'STRING' } } },
};

/**
 * createpvc → use (mounts the claim by createpvc's output `name`, through kfp-kubernetes'
 * pvcMount) → deletepvc (its `pvc_name` from the same output), as `kubernetes.CreatePVC`,
 * `mount_pvc` and `kubernetes.DeletePVC` compile.
 */
function pvcSpec(storageClass: string): { pipeline_spec: PipelineSpec; platform_spec: unknown } {
  const constant = (value: unknown) => ({ runtimeValue: { constant: value } });
  const nameOutput = { taskOutputParameter: { producerTask: 'createpvc', outputParameterKey: 'name' } };
  return {
    pipeline_spec: {
      pipelineInfo: { name: 'k8s-pvc-steps' },
      schemaVersion: '2.1.0',
      root: {
        dag: {
          tasks: {
            createpvc: {
              taskInfo: { name: 'createpvc' },
              componentRef: { name: 'comp-createpvc' },
              inputs: { parameters: { access_modes: constant(['ReadWriteOnce']), pvc_name_suffix: constant('-my-pvc'), size: constant('1Gi'), storage_class_name: constant(storageClass) } },
            },
            use: { taskInfo: { name: 'use' }, componentRef: { name: 'comp-use' }, dependentTasks: ['createpvc'] },
            deletepvc: {
              taskInfo: { name: 'deletepvc' },
              componentRef: { name: 'comp-deletepvc' },
              dependentTasks: ['createpvc', 'use'],
              inputs: { parameters: { pvc_name: nameOutput } },
            },
          },
        },
      },
      components: {
        'comp-createpvc': CREATE_PVC_COMPONENT,
        'comp-use': { executorLabel: 'exec-use' },
        'comp-deletepvc': { executorLabel: 'exec-deletepvc', inputDefinitions: { parameters: { pvc_name: { parameterType: 'STRING' } } } },
      },
      deploymentSpec: {
        executors: {
          'exec-createpvc': { container: { image: 'argostub/createpvc' } },
          'exec-use': { container: { image: 'busybox:1.36', command: ['ls', '/data'] } },
          'exec-deletepvc': { container: { image: 'argostub/deletepvc' } },
        },
      },
    } as PipelineSpec,
    platform_spec: {
      platforms: {
        kubernetes: {
          deploymentSpec: {
            executors: { 'exec-use': { pvcMount: [{ mountPath: '/data', taskOutputParameter: { producerTask: 'createpvc', outputParameterKey: 'name' }, pvcNameParameter: nameOutput }] } },
          },
        },
      },
    },
  };
}

/** write → read, both given `{{$.workspace_path}}` (in the command, and as an input constant), with a workspace of `size`; read runs for 5 s. */
function workspaceSpec(size: string, pvcSpecPatch: Record<string, unknown>): { pipeline_spec: PipelineSpec; platform_spec: unknown } {
  const step = (name: string, extra: Record<string, unknown> = {}) => ({ taskInfo: { name }, componentRef: { name: 'comp-step' }, inputs: { parameters: { where: { runtimeValue: { constant: '{{$.workspace_path}}' } } } }, ...extra });
  return {
    pipeline_spec: {
      pipelineInfo: { name: 'k8s-workspace' },
      schemaVersion: '2.1.0',
      root: { dag: { tasks: { write: step('write'), read: step('read', { dependentTasks: ['write'], componentRef: { name: 'comp-read' } }) } } },
      components: {
        'comp-step': { executorLabel: 'exec-step', inputDefinitions: { parameters: { where: { parameterType: 'STRING' } } } },
        'comp-read': { executorLabel: 'exec-read', inputDefinitions: { parameters: { where: { parameterType: 'STRING' } } } },
      },
      deploymentSpec: {
        executors: {
          'exec-step': { container: { image: 'busybox:1.36', command: ['touch', '{{$.workspace_path}}/data', "{{$.inputs.parameters['where']}}/more"] } },
          'exec-read': { container: { image: 'busybox:1.36', command: ['cat', '{{$.workspace_path}}/data'] } },
        },
      },
    } as PipelineSpec,
    platform_spec: {
      platforms: {
        kubernetes: {
          deploymentSpec: { executors: { 'exec-read': { podMetadata: { annotations: { 'kwok.sluice.dev/run-for': '5s' } } } } },
          pipelineConfig: { workspace: { size, kubernetes: { pvcSpecPatch } } },
        },
      },
    },
  };
}

function specFile(spec: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-k8s-spec-')), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

describeKube('the engine with runner=kubernetes', () => {
  let cluster: KubeControlPlane;
  let engine: TestEngine;
  let core: CoreV1Api;
  const artifacts = mkdtempSync(join(tmpdir(), 'sluice-k8s-artifacts-'));
  chmodSync(artifacts, 0o755);

  beforeAll(async () => {
    ({ cluster, core } = await startKubeWithArtifacts(artifacts, NS));
    // Finished pods are kept, so that the tests can count them.
    engine = await startTestEngine('k8s-runner', { runner: 'kubernetes', kubeconfig: cluster.kubeconfigPath, artifactRoot: artifacts, k8sNamespace: NS, k8sPodRetention: 'keep' });
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    await cluster?.stop();
  });

  const podsOfRun = async (runId: string) => (await core.listNamespacedPod({ namespace: NS, labelSelector: `${POD_LABELS.runId}=${runId}` })).items;

  /** A claim's state: undefined once it is gone, else whether it is being deleted, and its spec. */
  const claimState = async (name: string) => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: NS }).catch((err: { code?: number }) => {
      if (err.code === 404) return undefined;
      throw err;
    });
    return claim && { deleting: claim.metadata?.deletionTimestamp !== undefined, claim };
  };

  /**
   * Claim `name` was deleted: it is being deleted, held only by Kubernetes' pvc-protection for
   * the run's pods (this engine keeps finished pods), and gone once they are deleted.
   */
  const expectDeleted = async (name: string, runId: string) => {
    // The run records its end before it removes its claims (a removal that fails leaves the outcome as recorded).
    for (const end = Date.now() + 30_000; (await claimState(name))?.deleting === false; ) {
      if (Date.now() > end) throw new Error(`claim ${name} is not being deleted 30 s after its run ended`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const pod of await podsOfRun(runId)) await core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace: NS, gracePeriodSeconds: 0 });
    for (const end = Date.now() + 30_000; await claimState(name); ) {
      if (Date.now() > end) throw new Error(`claim ${name} is still there 30 s after the run's pods were deleted`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  /** A volume of `storageClass` for claims to bind to, so that the scheduler places the pods that mount them. */
  const volumeOfClass = (name: string, storageClass: string, accessMode: string) =>
    core.createPersistentVolume({
      body: { metadata: { name }, spec: { capacity: { storage: '2Gi' }, accessModes: [accessMode], storageClassName: storageClass, hostPath: { path: mkdtempSync(join(tmpdir(), `sluice-${name}-`)) } } },
    });

  test('a pipeline with a chain, a loop and a condition runs every step as exactly one pod', async () => {
    const { run_id } = await engine.createRun(specFile(controlFlowSpec()), { go: true });
    const run = await engine.waitForRun(run_id, 120_000);
    expect(run.state).toBe('SUCCEEDED');
    const containers = (await engine.store.listTasks(run_id)).filter((t) => t.kind === 'CONTAINER');
    expect(containers.map((t) => t.taskPath).sort()).toEqual([
      'root/a', 'root/b', 'root/condition-1/gated', 'root/for-loop-1[0]/inner', 'root/for-loop-1[1]/inner', 'root/for-loop-1[2]/inner',
    ]);
    expect(containers.every((t) => t.state === 'SUCCEEDED' && t.attempts === 1)).toBe(true);
    const pods = await podsOfRun(run_id);
    expect(pods).toHaveLength(containers.length);
    expect(new Set(pods.map((p) => p.metadata?.name))).toEqual(new Set(containers.map((t) => t.podName)));
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Succeeded');
      expect(pod.spec?.containers[0].image).toBe('busybox:1.36');
      expect(pod.spec?.securityContext?.runAsNonRoot).toBe(true);
    }
  }, 180_000);

  test("a pod's failure reaches the API with its exit code, and the platform spec reached the pod", async () => {
    const { run_id } = await engine.createRun(specFile(failingSpec()));
    const run = await engine.waitForRun(run_id, 120_000);
    expect(run.state).toBe('FAILED');
    expect(run.error?.message).toMatch(/exit code 7/);
    const [pod] = await podsOfRun(run_id);
    expect(pod.metadata?.annotations?.['kwok.sluice.dev/exit-code']).toBe('7');
  }, 180_000);

  test('terminating a run deletes its running pod and the run ends CANCELED', async () => {
    const { run_id } = await engine.createRun(specFile(longSpec('k8s-terminate')));
    for (const end = Date.now() + 60_000; (await podsOfRun(run_id))[0]?.status?.phase !== 'Running'; ) {
      if (Date.now() > end) throw new Error('the pod never ran');
      await new Promise((r) => setTimeout(r, 200));
    }
    const res = await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const run = await engine.waitForRun(run_id, 60_000);
    expect(run.state).toBe('CANCELED');
    expect(await podsOfRun(run_id)).toHaveLength(0);
    expect((await engine.store.getTask(run_id, 'root/long'))?.state).toBe('CANCELED');
  }, 180_000);

  test('a step past its activeDeadlineSeconds fails its task as timed out, without retries', async () => {
    const { run_id } = await engine.createRun(specFile(longSpec('k8s-timeout', 2)));
    const run = await engine.waitForRun(run_id, 60_000);
    expect(run.state).toBe('FAILED');
    const task = await engine.store.getTask(run_id, 'root/long');
    expect(task?.state).toBe('FAILED');
    expect(task?.error?.type).toBe('TaskTimedOut');
    expect(task?.attempts).toBe(1);
    // Nothing runs on: Kubernetes failed the pod at its deadline (or Sluice deleted it first);
    // what is left is kept for inspection, as this engine's podRetention says.
    const left = await podsOfRun(run_id);
    expect(left.filter((p) => p.status?.phase !== 'Failed')).toEqual([]);
  }, 180_000);

  test('CreatePVC makes a claim (no pod), a later task mounts it by its output name, and DeletePVC deletes it', async () => {
    await volumeOfClass('pvc-steps-volume', 'sluice-pvc-steps', 'ReadWriteOnce');
    const { run_id } = await engine.createRun(specFile(pvcSpec('sluice-pvc-steps')));
    const run = await engine.waitForRun(run_id, 120_000);
    expect(run.state).toBe('SUCCEEDED');
    const created = await engine.store.getTask(run_id, 'root/createpvc');
    const name = created?.outputs.parameters.name as string;
    expect(name).toMatch(/^[0-9a-f-]{36}-my-pvc$/);
    // One pod: the claim steps run none.
    const pods = await podsOfRun(run_id);
    expect(pods.map((p) => p.metadata?.annotations?.['sluice.dev/task-path'])).toEqual(['root/use']);
    const [use] = pods;
    const volume = use.spec?.volumes?.find((v) => v.persistentVolumeClaim?.claimName === name);
    expect(volume).toBeDefined();
    expect(use.spec?.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ name: volume?.name, mountPath: '/data' }));
    expect((await engine.store.getTask(run_id, 'root/deletepvc'))?.state).toBe('SUCCEEDED');
    await expectDeleted(name, run_id);
  }, 180_000);

  test("a run's workspace is a claim of the requested size and patch while it runs, mounted at /kfp-workspace in every pod, and deleted after it", async () => {
    await volumeOfClass('workspace-volume', 'sluice-workspace', 'ReadWriteOnce');
    const { run_id } = await engine.createRun(specFile(workspaceSpec('1536Mi', { storageClassName: 'sluice-workspace', accessModes: ['ReadWriteOnce'] })));
    const name = `${run_id}-kfp-workspace`;
    let during: Awaited<ReturnType<typeof claimState>>;
    for (const end = Date.now() + 60_000; !(during = await claimState(name)); ) {
      if (Date.now() > end) throw new Error('the workspace claim never appeared');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(during.claim.spec?.resources?.requests?.storage).toBe('1536Mi');
    expect(during.claim.spec?.storageClassName).toBe('sluice-workspace');
    expect(during.claim.spec?.accessModes).toEqual(['ReadWriteOnce']);
    const run = await engine.waitForRun(run_id, 120_000);
    expect(run.state).toBe('SUCCEEDED');
    const pods = await podsOfRun(run_id);
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      const volume = pod.spec?.volumes?.find((v) => v.persistentVolumeClaim?.claimName === name);
      expect(pod.spec?.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ name: volume?.name, mountPath: '/kfp-workspace' }));
    }
    const write = pods.find((p) => p.metadata?.annotations?.['sluice.dev/task-path'] === 'root/write');
    // The placeholder, in the command and in an input constant, is where the pod has the workspace.
    expect([write?.spec?.containers[0].command?.[0], ...(write?.spec?.containers[0].args ?? [])]).toEqual(['touch', '/kfp-workspace/data', '/kfp-workspace/more']);
    await expectDeleted(name, run_id);
  }, 180_000);
});
