import type { SpecIssue } from './errors';
import { SpecNotSupportedError } from './errors';
import { isPlainObject } from './records';

/**
 * Kubernetes platform config (the second document of a KFP upload) asks for things only a pod can
 * have: secrets and config maps as env or volumes, PVC mounts, node selection, pod metadata. The
 * local runner has no faithful equivalent yet, so a run that needs them is refused up front,
 * naming each feature, rather than run without them. Throws SpecNotSupportedError.
 */
export function assertLocalRunnerSupports(platformSpec: unknown): void {
  if (!isPlainObject(platformSpec)) return;
  const kubernetes = (platformSpec.platforms as Record<string, unknown> | undefined)?.kubernetes;
  const executors = isPlainObject(kubernetes) && isPlainObject(kubernetes.deploymentSpec) ? kubernetes.deploymentSpec.executors : undefined;
  if (!isPlainObject(executors)) return;
  const issues: SpecIssue[] = [];
  for (const [executor, config] of Object.entries(executors)) {
    if (!isPlainObject(config)) continue;
    for (const feature of Object.keys(config)) {
      issues.push({
        path: `platforms.kubernetes.deploymentSpec.executors.${executor}.${feature}`,
        message: `Kubernetes feature '${feature}' is not supported yet by the local process runner; it needs the Kubernetes runner`,
      });
    }
  }
  if (issues.length) throw new SpecNotSupportedError(issues);
}
