import type { SpecIssue } from './errors';
import { SpecNotSupportedError } from './errors';
import { isPlainObject, ownValue } from './records';
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
  const issues: SpecIssue[] = spec ? unsupportedExecutors(spec, 'local') : [];
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

/** The steps kfp-kubernetes compiles to a stub image, which KFP's driver carries out itself on the cluster. */
export type KubernetesStep = 'createPvc' | 'deletePvc';

const KUBERNETES_STEPS: Record<string, { step: KubernetesStep; name: string }> = {
  'argostub/createpvc': { step: 'createPvc', name: 'kubernetes.CreatePVC' },
  'argostub/deletepvc': { step: 'deletePvc', name: 'kubernetes.DeletePVC' },
};

/** The kfp-kubernetes step an executor's image stands for (`argostub/createpvc`), if it is one: it has no command to run. */
export function kubernetesStepOf(image: string | undefined): KubernetesStep | undefined {
  return image === undefined ? undefined : ownValue(KUBERNETES_STEPS, image)?.step;
}

/**
 * Executors the configured runner cannot carry out. kfp-kubernetes' PVC steps need a cluster:
 * the local runner refuses them, the Kubernetes runner creates and deletes the claims. Importers
 * of OCI images (`oci://`, KFP's modelcar), which Kubernetes mounts as image volumes, neither
 * runner carries out yet.
 */
export function unsupportedExecutors(spec: PipelineSpec, runner: 'local' | 'kubernetes'): SpecIssue[] {
  const who = runner === 'local' ? 'the local process runner' : 'the Kubernetes runner';
  const issues: SpecIssue[] = [];
  for (const [label, executor] of Object.entries(spec.deploymentSpec?.executors ?? {})) {
    const image = executor.container?.image ?? '';
    const step = ownValue(KUBERNETES_STEPS, image);
    if (step && runner === 'local') {
      issues.push({ path: `deploymentSpec.executors.${label}.container.image`, message: `${step.name} (${image}) is not supported by ${who}: it creates or deletes a PersistentVolumeClaim, which needs the Kubernetes runner (SLUICE_RUNNER=kubernetes)` });
    }
    const uri = (executor.importer as { artifactUri?: { constant?: unknown } } | undefined)?.artifactUri?.constant;
    if (typeof uri === 'string' && uri.startsWith('oci://')) {
      const also = runner === 'local' ? ', nor yet by the Kubernetes runner' : ' yet';
      issues.push({ path: `deploymentSpec.executors.${label}.importer.artifactUri`, message: `an OCI model (${uri}, a modelcar) is not supported by ${who}${also}` });
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
