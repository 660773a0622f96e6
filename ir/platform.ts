import type { SpecIssue } from './errors';
import { SpecNotSupportedError } from './errors';
import { isPlainObject } from './records';
import type { PipelineSpec } from './types';

/** Kubernetes executor settings the local runner honours itself. */
const LOCAL_EQUIVALENTS = new Set(['activeDeadlineSeconds']);

/** The platform document's `platforms.kubernetes` section, when it has one. */
function kubernetesPlatform(platformSpec: unknown): Record<string, unknown> | undefined {
  const platforms = isPlainObject(platformSpec) ? platformSpec.platforms : undefined;
  const kubernetes = isPlainObject(platforms) ? platforms.kubernetes : undefined;
  return isPlainObject(kubernetes) ? kubernetes : undefined;
}

function kubernetesExecutors(platformSpec: unknown): Record<string, unknown> | undefined {
  const deploymentSpec = kubernetesPlatform(platformSpec)?.deploymentSpec;
  const executors = isPlainObject(deploymentSpec) ? deploymentSpec.executors : undefined;
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
export function assertLocalRunnerSupports(platformSpec: unknown, spec?: PipelineSpec): void {
  const issues: SpecIssue[] = spec ? kubernetesOnlyExecutors(spec) : [];
  const executors = kubernetesExecutors(platformSpec) ?? {};
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

/**
 * True when the platform document configures a pipeline workspace (`pipelineConfig.workspace`,
 * KFP's per-run PVC shared by the run's tasks as `{{$.workspace_path}}`). The local runner gives
 * the run a directory instead, which is the same thing on one machine.
 */
export function hasPipelineWorkspace(platformSpec: unknown): boolean {
  const pipelineConfig = kubernetesPlatform(platformSpec)?.pipelineConfig;
  return isPlainObject(pipelineConfig) && pipelineConfig.workspace !== undefined;
}

/** Images kfp-kubernetes uses for steps that KFP's backend performs itself, on the cluster. */
const KUBERNETES_STUB_IMAGES: Record<string, string> = {
  'argostub/createpvc': 'kubernetes.CreatePVC',
  'argostub/deletepvc': 'kubernetes.DeletePVC',
};

/**
 * Executors that only a cluster can carry out: kfp-kubernetes' PVC steps, and importers of OCI
 * images (`oci://`, KFP's modelcar), which Kubernetes mounts as image volumes. `runner` names
 * who refuses them in the messages (the Kubernetes runner does not carry them out yet either).
 */
export function kubernetesOnlyExecutors(spec: PipelineSpec, runner = 'the local process runner; it needs the Kubernetes runner'): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const [label, executor] of Object.entries(spec.deploymentSpec?.executors ?? {})) {
    const stub = KUBERNETES_STUB_IMAGES[executor.container?.image ?? ''];
    if (stub) {
      issues.push({ path: `deploymentSpec.executors.${label}.container.image`, message: `${stub} (${executor.container?.image}) is not supported yet by ${runner}` });
    }
    const uri = (executor.importer as { artifactUri?: { constant?: unknown } } | undefined)?.artifactUri?.constant;
    if (typeof uri === 'string' && uri.startsWith('oci://')) {
      issues.push({ path: `deploymentSpec.executors.${label}.importer.artifactUri`, message: `an OCI model (${uri}, a modelcar) is not supported yet by ${runner}` });
    }
  }
  return issues;
}

/**
 * The platform document with only the kfp-kubernetes executor configs in `labels`: what a child
 * workflow running part of the run needs (`ir/sub-spec.ts`). Run-wide settings (`pipelineConfig`)
 * stay: they are small and apply to every task.
 */
export function platformSpecForExecutors(platformSpec: Record<string, unknown> | undefined, labels: ReadonlySet<string>): Record<string, unknown> | undefined {
  const kubernetes = kubernetesPlatform(platformSpec);
  const executors = kubernetesExecutors(platformSpec);
  if (!platformSpec || !kubernetes || !executors) return platformSpec;
  const kept = Object.fromEntries(Object.entries(executors).filter(([label]) => labels.has(label)));
  const deploymentSpec = { ...(kubernetes.deploymentSpec as Record<string, unknown>), executors: kept };
  return { ...platformSpec, platforms: { ...(platformSpec.platforms as Record<string, unknown>), kubernetes: { ...kubernetes, deploymentSpec } } };
}

/**
 * What executor `executorLabel`'s kfp-kubernetes settings read from the task's DAG: the DAG
 * inputs its `*Parameter` fields name (`componentInputParameter`) and the sibling outputs
 * (`taskOutputParameter`). KFP's driver resolves them there, not from the task's own inputs, so
 * the workflow passes exactly these values along with the task.
 */
export function platformParameterRefs(platformSpec: unknown, executorLabel: string): { inputs: string[]; outputs: { task: string; key: string }[] } {
  const inputs = new Set<string>();
  const outputs = new Map<string, { task: string; key: string }>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isPlainObject(node)) return;
    if (typeof node.componentInputParameter === 'string') inputs.add(node.componentInputParameter);
    const output = node.taskOutputParameter;
    if (isPlainObject(output) && typeof output.producerTask === 'string' && typeof output.outputParameterKey === 'string') {
      outputs.set(`${output.producerTask}\0${output.outputParameterKey}`, { task: output.producerTask, key: output.outputParameterKey });
    }
    Object.values(node).forEach(visit);
  };
  visit(kubernetesExecutors(platformSpec)?.[executorLabel]);
  return { inputs: [...inputs], outputs: [...outputs.values()] };
}
