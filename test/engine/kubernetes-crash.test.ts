import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { POD_LABELS } from '../../activities/runners/kubernetes/metadata';
import type { PipelineSpec } from '../../ir/types';
import { kubeControlPlaneUnavailable, type KubeControlPlane } from '../../stack/kube-control-plane';
import { startTestEngine, type TestEngine } from '../support/engine';
import { startStandaloneWorker } from '../support/standalone-worker';
import { startKubeWithArtifacts } from '../../stack/kube-artifact-store';
import { saySkipped } from '../support/say-skipped';

// kill -9 of a standalone worker while its step's pod runs: the next worker reattaches to the
// same pod (found by its name), follows it to the end, and the run finishes with exactly one pod
// per launch.

const unavailable = kubeControlPlaneUnavailable();
if (unavailable) saySkipped(`the Kubernetes crash drill: ${unavailable}`);
const describeKube = unavailable ? describe.skip : describe;

const NS = 'default';

/** `slow` (a pod running 6 s), then `after`. */
function spec(): { pipeline_spec: PipelineSpec; platform_spec: unknown } {
  const task = (name: string, extra: Record<string, unknown> = {}) => ({ taskInfo: { name }, componentRef: { name: `comp-${name}` }, ...extra });
  return {
    pipeline_spec: {
      pipelineInfo: { name: 'k8s-crash' },
      schemaVersion: '2.1.0',
      root: { dag: { tasks: { slow: task('slow'), after: task('after', { dependentTasks: ['slow'] }) } } },
      components: { 'comp-slow': { executorLabel: 'exec-slow' }, 'comp-after': { executorLabel: 'exec-after' } },
      deploymentSpec: {
        executors: {
          'exec-slow': { container: { image: 'busybox:1.36', command: ['sleep', '6'] } },
          'exec-after': { container: { image: 'busybox:1.36', command: ['true'] } },
        },
      },
    },
    platform_spec: {
      platforms: { kubernetes: { deploymentSpec: { executors: { 'exec-slow': { podMetadata: { annotations: { 'kwok.sluice.dev/run-for': '6s' } } } } } } },
    },
  };
}

describeKube('kill -9 of the worker while a pod runs', () => {
  let cluster: KubeControlPlane;
  let core: CoreV1Api;
  let engine: TestEngine;
  const artifacts = mkdtempSync(join(tmpdir(), 'sluice-k8s-crash-'));
  chmodSync(artifacts, 0o755);
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-k8s-crash-logs-'));

  beforeAll(async () => {
    ({ cluster, core } = await startKubeWithArtifacts(artifacts, NS));
    engine = await startTestEngine('k8s-crash', { runner: 'kubernetes', kubeconfig: cluster.kubeconfigPath, artifactRoot: artifacts }, { inProcessWorker: false });
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    await cluster?.stop();
  });

  const startWorker = (label: string) =>
    startStandaloneWorker(engine, logDir, label, {
      SLUICE_ARTIFACT_ROOT: artifacts,
      SLUICE_RUNNER: 'kubernetes',
      SLUICE_KUBECONFIG: cluster.kubeconfigPath,
      SLUICE_K8S_NAMESPACE: NS,
      SLUICE_K8S_POD_RETENTION: 'keep',
      SLUICE_HEARTBEAT_TIMEOUT_SECONDS: '3',
    });


  test('the next worker reattaches to the same pod; one pod per launch; the run succeeds', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-k8s-spec-')), 'spec.json');
    writeFileSync(file, JSON.stringify(spec()));
    const first = startWorker('first');
    const { run_id } = await engine.createRun(file);
    const pods = async () => (await core.listNamespacedPod({ namespace: NS, labelSelector: `${POD_LABELS.runId}=${run_id}` })).items;
    for (const end = Date.now() + 60_000; (await pods())[0]?.status?.phase !== 'Running'; ) {
      if (Date.now() > end) throw new Error(`the slow pod never ran; worker log:\n${readFileSync(join(logDir, 'first.log'), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const slowPod = (await pods())[0];
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = startWorker('second');
    try {
      const run = await engine.waitForRun(run_id, 120_000);
      expect(run.state).toBe('SUCCEEDED');
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const all = await pods();
    expect(all).toHaveLength(2);
    expect(all.find((p) => p.metadata?.name === slowPod.metadata?.name)?.metadata?.uid).toBe(slowPod.metadata?.uid);
    for (const path of ['root/slow', 'root/after']) {
      const task = await engine.store.getTask(run_id, path);
      expect([path, task?.state, task?.attempts]).toEqual([path, 'SUCCEEDED', 1]);
    }
  }, 240_000);
});
