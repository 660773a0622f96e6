import type { SpecIssue } from './errors';
import { SpecNotSupportedError } from './errors';
import { isPlainObject } from './records';

/** Kubernetes executor settings the local runner honours itself. */
const LOCAL_EQUIVALENTS = new Set(['activeDeadlineSeconds']);

function kubernetesExecutors(platformSpec: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(platformSpec)) return undefined;
  const kubernetes = (platformSpec.platforms as Record<string, unknown> | undefined)?.kubernetes;
  const executors = isPlainObject(kubernetes) && isPlainObject(kubernetes.deploymentSpec) ? kubernetes.deploymentSpec.executors : undefined;
  return isPlainObject(executors) ? executors : undefined;
}

/**
 * The per-task timeout of executor `executorLabel`: kfp-kubernetes' `activeDeadlineSeconds`
 * (`kubernetes.set_timeout`; int64, so JSON may carry it as text). KFP itself has no per-task
 * timeout (kubeflow/pipelines #11808, #9996); undefined when none is set.
 */
export function executorTimeoutSeconds(platformSpec: unknown, executorLabel: string): number | undefined {
  const config = kubernetesExecutors(platformSpec)?.[executorLabel];
  const raw = isPlainObject(config) ? config.activeDeadlineSeconds : undefined;
  const seconds = typeof raw === 'string' ? Number(raw) : raw;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * Kubernetes platform config (the second document of a KFP upload) asks for things only a pod can
 * have: secrets and config maps as env or volumes, PVC mounts, node selection, pod metadata. But
 * for the task timeout (`activeDeadlineSeconds`, which it enforces itself), the local runner has
 * no faithful equivalent yet, so a run that needs them is refused up front,
 * naming each feature, rather than run without them. Throws SpecNotSupportedError.
 */
export function assertLocalRunnerSupports(platformSpec: unknown): void {
  const executors = kubernetesExecutors(platformSpec);
  if (!executors) return;
  const issues: SpecIssue[] = [];
  for (const [executor, config] of Object.entries(executors)) {
    if (!isPlainObject(config)) continue;
    for (const feature of Object.keys(config)) {
      if (LOCAL_EQUIVALENTS.has(feature)) continue;
      issues.push({
        path: `platforms.kubernetes.deploymentSpec.executors.${executor}.${feature}`,
        message: `Kubernetes feature '${feature}' is not supported yet by the local process runner; it needs the Kubernetes runner`,
      });
    }
  }
  if (issues.length) throw new SpecNotSupportedError(issues);
}
