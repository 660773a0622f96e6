import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { POD_LABELS } from '../activities/runners/kubernetes/metadata';
import { loadConfig } from '../config/config';
import type { PipelineSpec } from '../ir/types';
import { startDevStack, type DevStack } from '../stack/dev-stack';
import { freePort } from '../stack/free-port';
import { startKubeWithArtifacts } from '../stack/kube-artifact-store';
import { kubeControlPlaneUnavailable } from '../stack/kube-control-plane';
import { median, round } from './bench-stack';
import { noopPipeline } from './noop-specs';

export interface KubernetesBench {
  /** Median time from the watch seeing a pod Succeeded to its launch's success being recorded. */
  succeededToRecordedMs: number;
  /** Median time from one chain step's recorded end to the next step's pod appearing. */
  finishedToNextPodMs: number;
  chainSteps: number;
  /** Pods created per second on a 200-wide fan-out (first to last pod seen). */
  fanoutPodsPerSecond: number;
  fanoutWallMs: number;
}

/**
 * The Kubernetes runner's own overhead on the test control plane (kwok plays the kubelet, so a
 * pod's run time is kwok's, not a container's): a 20-step chain and a 200-wide fan-out of no-op
 * steps through a worker with runner=kubernetes (beside `main`'s servers), timed from a watch on
 * the pods and the launch records in the store. Undefined, saying why, when the control plane is not built.
 */
export async function benchKubernetes(
  main: DevStack,
  run: (stack: DevStack, spec: PipelineSpec) => Promise<{ runId: string; wallMs: number }>,
  log: (line: string) => void,
): Promise<KubernetesBench | undefined> {
  const unavailable = kubeControlPlaneUnavailable();
  if (unavailable) {
    log(`Kubernetes bench skipped: ${unavailable}`);
    return undefined;
  }
  const artifacts = mkdtempSync(join(tmpdir(), 'sluice-bench-k8s-'));
  chmodSync(artifacts, 0o755);
  const { cluster, kc } = await startKubeWithArtifacts(artifacts);
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-k8s-stack-'));
  chmodSync(dataDir, 0o755);
  // The main stack's Temporal and PostgreSQL, with a worker and an API of its own on another task queue.
  const config = loadConfig({
    dataDir, apiPort: await freePort(), parallelism: 200, taskQueue: 'sluice-bench-kubernetes',
    temporalAddress: main.temporalAddress, databaseUrl: main.databaseUrl,
    runner: 'kubernetes', kubeconfig: cluster.kubeconfigPath, artifactRoot: artifacts, k8sPodRetention: 'keep',
  });
  const stack = await startDevStack(config, { log: (line) => log(`k8s stack: ${line}`) });
  // When the watch first saw each pod, and saw it Succeeded: on the wall clock, as the store's
  // records are. `performance.timeOrigin` is the wall clock at the process's start, and a clock
  // step since (one of ~0.75 s in a bench of stop 28) moved every figure by its size.
  const added = new Map<string, number>();
  const succeeded = new Map<string, number>();
  const watch = await new Watch(kc).watch('/api/v1/namespaces/default/pods', { labelSelector: POD_LABELS.managedBy }, (type: string, pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    if (!added.has(name)) added.set(name, Date.now());
    if (pod.status?.phase === 'Succeeded' && !succeeded.has(name)) succeeded.set(name, Date.now());
  }, () => undefined);
  try {
    await run(stack, noopPipeline('k8s-warmup', 3, 'chain'));
    const chain = await run(stack, noopPipeline('k8s-chain-20', 20, 'chain'));
    const attempts = (await stack.store.listTaskAttempts(chain.runId)).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    const recorded = attempts.flatMap((a) => (succeeded.has(a.podName) && a.finishedAt ? [a.finishedAt.getTime() - (succeeded.get(a.podName) as number)] : []));
    const handoffs = attempts.slice(1).flatMap((a, i) => {
      const previousEnd = attempts[i].finishedAt?.getTime();
      const next = added.get(a.podName);
      return previousEnd !== undefined && next !== undefined ? [next - previousEnd] : [];
    });
    const fanout = await run(stack, noopPipeline('k8s-fanout-200', 200, 'fanout'));
    const fanoutPods = (await stack.store.listTaskAttempts(fanout.runId)).map((a) => added.get(a.podName)).filter((t): t is number => t !== undefined);
    const spanMs = Math.max(...fanoutPods) - Math.min(...fanoutPods);
    return {
      succeededToRecordedMs: round(median(recorded)),
      finishedToNextPodMs: round(median(handoffs)),
      chainSteps: attempts.length,
      fanoutPodsPerSecond: Math.round((fanoutPods.length / (spanMs / 1000)) * 10) / 10,
      fanoutWallMs: Math.round(fanout.wallMs),
    };
  } finally {
    watch.abort();
    await stack.stop();
    await cluster.stop();
  }
}

