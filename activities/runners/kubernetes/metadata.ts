/**
 * The pod's labels and annotations: Sluice's, which link the pod to its run, task and launch
 * (label values are at most 63 characters of a small alphabet, so a task path is fitted into
 * one and also kept whole in an annotation), then the executor's `podMetadata`.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { checkLabels, isLabelKey, labelValueFor } from './names';
import type { PodLaunch } from './pod-launch';
import { podSpecError } from './pod-spec-error';
import type { KubernetesExecutorConfig } from './platform-config';

const DOMAIN = 'sluice.dev';

/** Keys of Sluice's labels, by which the runner finds its pods. */
export const POD_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  runId: `${DOMAIN}/run-id`,
  task: `${DOMAIN}/task`,
  launch: `${DOMAIN}/launch`,
} as const;

export const POD_ANNOTATIONS = {
  runId: `${DOMAIN}/run-id`,
  taskPath: `${DOMAIN}/task-path`,
  executor: `${DOMAIN}/executor`,
} as const;

function isOwnKey(key: string): boolean {
  return key === POD_LABELS.managedBy || key.startsWith(`${DOMAIN}/`);
}

/** A user's labels or annotations, their keys checked: valid, and none that Sluice reserves for itself. */
export function userEntries(entries: Record<string, string> | undefined, path: string): Record<string, string> {
  for (const key of Object.keys(entries ?? {})) {
    if (!isLabelKey(key)) throw podSpecError(`${path}.${key}`, `'${key}' is not a key ([prefix/]name, the name at most 63 characters)`);
    if (isOwnKey(key)) throw podSpecError(`${path}.${key}`, `'${key}' is reserved: Sluice sets it to find the pods it runs`);
  }
  return entries ?? {};
}

/** Sluice's labels and annotations, which link an object (a pod, a claim a task created) to its run, task and launch. */
export function launchMetadata(launch: Pick<PodLaunch, 'runId' | 'taskPath' | 'launch' | 'executorLabel'>): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: {
      [POD_LABELS.managedBy]: 'sluice',
      [POD_LABELS.runId]: labelValueFor(launch.runId),
      [POD_LABELS.task]: labelValueFor(launch.taskPath),
      [POD_LABELS.launch]: String(launch.launch),
    },
    annotations: {
      [POD_ANNOTATIONS.runId]: launch.runId,
      [POD_ANNOTATIONS.taskPath]: launch.taskPath,
      [POD_ANNOTATIONS.executor]: launch.executorLabel,
    },
  };
}

export function podMetadata(launch: PodLaunch, namespace: string, config: KubernetesExecutorConfig, path: string): V1ObjectMeta {
  const own = launchMetadata(launch);
  const labels = { ...own.labels, ...checkLabels(userEntries(config.podMetadata?.labels, `${path}.labels`), `${path}.labels`) };
  const annotations = { ...own.annotations, ...userEntries(config.podMetadata?.annotations, `${path}.annotations`) };
  return { name: launch.name, namespace, labels, annotations };
}
