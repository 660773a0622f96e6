/**
 * The main container's requests and limits from the launch's resources, which `prepareLaunch`
 * has already resolved from KFP's `ResourceSpec` (`ir/resources.ts`: placeholders filled, the
 * string fields winning over the deprecated numbers, as KFP's driver reads them). What is left
 * is Kubernetes' part: an accelerator becomes a limit of its extended resource, resources the
 * executor says nothing about get the runner's defaults, and no request may exceed its limit.
 */
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { ResourceRequirements } from '../../../ir/resources';
import { isLabelKey } from './names';
import { podSpecError } from './pod-spec-error';
import { quantityProblem, quantityValue } from './quantities';
import type { KubernetesRunnerConfig } from './runner-config';

interface Amount {
  text: string;
  /** The field it came from, for errors. */
  path: string;
}

/** Where a launch's resources come from, for errors: the executor's `container.resources`. */
function resourcesPath(executorLabel: string): string {
  return `deploymentSpec.executors.${executorLabel}.container.resources`;
}

/**
 * Requests and limits of the main container.
 *
 * @throws PodSpecError naming the field when a value is not a Kubernetes quantity, an
 *   accelerator type that names a resource is no resource name, or a request exceeds its limit.
 */
export function containerResources(
  resources: ResourceRequirements | undefined,
  executorLabel: string,
  config: Pick<KubernetesRunnerConfig, 'defaultResources' | 'gpuResourceName'>,
): V1ResourceRequirements {
  const path = resourcesPath(executorLabel);
  const requests: Record<string, Amount> = {};
  const limits: Record<string, Amount> = {};
  const set = (list: Record<string, Amount>, name: string, field: keyof Omit<ResourceRequirements, 'accelerator'>) => {
    const text = resources?.[field];
    if (text === undefined) return;
    const problem = quantityProblem(text);
    if (problem) throw podSpecError(`${path}.${field}`, problem);
    list[name] = { text, path: `${path}.${field}` };
  };
  set(limits, 'cpu', 'cpuLimit');
  set(requests, 'cpu', 'cpuRequest');
  set(limits, 'memory', 'memoryLimit');
  set(requests, 'memory', 'memoryRequest');
  const accelerator = resources?.accelerator;
  if (accelerator) {
    // KFP names the resource itself (`nvidia.com/gpu`) or only a GPU model (`NVIDIA_TESLA_T4`), which asks for the configured GPU resource.
    const named = accelerator.type.includes('/');
    if (named && !isLabelKey(accelerator.type)) throw podSpecError(`${path}.accelerator.type`, `'${accelerator.type}' is not a resource name`);
    limits[named ? accelerator.type : config.gpuResourceName] = { text: String(accelerator.count), path: `${path}.accelerator.count` };
  }

  const { requests: defaultRequests, limits: defaultLimits } = config.defaultResources;
  for (const name of new Set([...Object.keys(defaultRequests), ...Object.keys(defaultLimits)])) {
    if (requests[name] || limits[name]) continue;
    if (defaultRequests[name] !== undefined) requests[name] = { text: defaultRequests[name], path: 'kubernetes.defaultResources.requests' };
    if (defaultLimits[name] !== undefined) limits[name] = { text: defaultLimits[name], path: 'kubernetes.defaultResources.limits' };
  }
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit && (quantityValue(request.text) ?? 0) > (quantityValue(limit.text) ?? 0)) {
      throw podSpecError(request.path, `the ${name} request ${request.text} exceeds its limit ${limit.text} (${limit.path})`);
    }
  }
  const texts = (list: Record<string, Amount>) => Object.fromEntries(Object.entries(list).map(([name, value]) => [name, value.text]));
  return {
    ...(Object.keys(requests).length ? { requests: texts(requests) } : {}),
    ...(Object.keys(limits).length ? { limits: texts(limits) } : {}),
  };
}
