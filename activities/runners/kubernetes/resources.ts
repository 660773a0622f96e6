/**
 * The main container's requests and limits, from KFP's `PipelineContainerSpec.ResourceSpec` as
 * KFP's driver reads it (`initPodSpecPatch`): the string fields (`resourceCpuLimit: 500m`, which
 * may be a `{{$.inputs.parameters['x']}}` placeholder) win over the deprecated numbers
 * (`cpuLimit: 0.5` cores, `memoryLimit: 4` GB), and an accelerator becomes a limit of its
 * extended resource. Resources the executor says nothing about get the runner's defaults.
 */
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { z } from 'zod';
import { PlaceholderError } from '../../../ir/errors';
import { resolveConstantPlaceholders } from '../../../ir/placeholders';
import type { ParameterValue } from '../../../ir/types';
import { isLabelKey } from './names';
import { podSpecError } from './pod-spec-error';
import { quantityProblem, quantityValue } from './quantities';
import type { KubernetesRunnerConfig } from './runner-config';
import { int64 } from './schema-parts';
import { parseOrThrow } from './zod-issues';

const amount = z.number().nonnegative();

const ResourceSpecSchema = z
  .object({
    cpuLimit: amount.optional(),
    memoryLimit: amount.optional(),
    cpuRequest: amount.optional(),
    memoryRequest: amount.optional(),
    resourceCpuLimit: z.string().optional(),
    resourceMemoryLimit: z.string().optional(),
    resourceCpuRequest: z.string().optional(),
    resourceMemoryRequest: z.string().optional(),
    accelerator: z
      .object({ type: z.string().optional(), count: int64.optional(), resourceType: z.string().optional(), resourceCount: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();

export type ResourceSpec = z.output<typeof ResourceSpecSchema>;

function resourcesPath(executorLabel: string): string {
  return `deploymentSpec.executors.${executorLabel}.container.resources`;
}

/** @throws PodSpecError naming each malformed or unknown field. */
export function parseResourceSpec(resources: unknown, executorLabel: string): ResourceSpec {
  return parseOrThrow(ResourceSpecSchema, resources ?? {}, resourcesPath(executorLabel), "KFP's ResourceSpec has no such field");
}

interface Amount {
  text: string;
  /** The field it came from, for errors. */
  path: string;
}

type TextField = 'resourceCpuLimit' | 'resourceCpuRequest' | 'resourceMemoryLimit' | 'resourceMemoryRequest';
type LegacyField = 'cpuLimit' | 'cpuRequest' | 'memoryLimit' | 'memoryRequest';

interface Context {
  spec: ResourceSpec;
  inputParameters: Record<string, ParameterValue>;
  path: string;
}

/** The text of a string field, its placeholders resolved from the task's inputs; undefined when empty. */
function textField(ctx: Context, field: TextField | `accelerator.${string}`, text: string | undefined): Amount | undefined {
  if (!text) return undefined;
  const path = `${ctx.path}.${field}`;
  try {
    const resolved = resolveConstantPlaceholders(text, undefined, ctx.inputParameters).trim();
    return resolved ? { text: resolved, path } : undefined;
  } catch (error) {
    if (error instanceof PlaceholderError) throw podSpecError(path, error.message);
    throw error;
  }
}

/**
 * One of cpu or memory, limit or request: the string field, else the deprecated number (in GB
 * for memory, hence `unit`). The kfp SDK accepts `K` for kilo, which Kubernetes spells `k`.
 */
function kfpAmount(ctx: Context, field: TextField, legacyField: LegacyField, unit: '' | 'G'): Amount | undefined {
  const legacy = ctx.spec[legacyField];
  const found = textField(ctx, field, ctx.spec[field]) ?? (legacy ? { text: `${legacy}${unit}`, path: `${ctx.path}.${legacyField}` } : undefined);
  if (!found) return undefined;
  const text = unit ? found.text.replace(/^(\d+(?:\.\d+)?)K$/, '$1k') : found.text;
  const problem = quantityProblem(text);
  if (problem) throw podSpecError(found.path, problem);
  return { text, path: found.path };
}

/** KFP names the resource itself (`nvidia.com/gpu`) or only a GPU model (`NVIDIA_TESLA_T4`), which asks for the configured GPU resource. */
function accelerator(ctx: Context, gpuResourceName: string): { name: string; count: Amount } | undefined {
  const spec = ctx.spec.accelerator;
  if (!spec) return undefined;
  const type = textField(ctx, 'accelerator.resourceType', spec.resourceType) ?? textField(ctx, 'accelerator.type', spec.type);
  const count =
    textField(ctx, 'accelerator.resourceCount', spec.resourceCount) ??
    (spec.count ? { text: String(spec.count), path: `${ctx.path}.accelerator.count` } : undefined);
  // KFP's driver asks for an accelerator only when both are given; an optional input left unset clears either.
  if (!type || !count) return undefined;
  if (!/^\d+$/.test(count.text)) throw podSpecError(count.path, `'${count.text}' is not a whole number of accelerators`);
  const named = type.text.includes('/');
  if (named && !isLabelKey(type.text)) throw podSpecError(type.path, `'${type.text}' is not a resource name`);
  return { name: named ? type.text : gpuResourceName, count };
}

/**
 * Requests and limits of the main container.
 *
 * @throws PodSpecError naming the field when a value is not a quantity, a placeholder has no
 *   value, an accelerator count is fractional, or a request exceeds its limit.
 */
export function containerResources(
  spec: ResourceSpec | undefined,
  inputParameters: Record<string, ParameterValue>,
  executorLabel: string,
  config: Pick<KubernetesRunnerConfig, 'defaultResources' | 'gpuResourceName'>,
): V1ResourceRequirements {
  const ctx: Context = { spec: spec ?? {}, inputParameters, path: resourcesPath(executorLabel) };
  const requests: Record<string, Amount> = {};
  const limits: Record<string, Amount> = {};
  const set = (list: Record<string, Amount>, name: string, value: Amount | undefined) => {
    if (value) list[name] = value;
  };
  set(limits, 'cpu', kfpAmount(ctx, 'resourceCpuLimit', 'cpuLimit', ''));
  set(requests, 'cpu', kfpAmount(ctx, 'resourceCpuRequest', 'cpuRequest', ''));
  set(limits, 'memory', kfpAmount(ctx, 'resourceMemoryLimit', 'memoryLimit', 'G'));
  set(requests, 'memory', kfpAmount(ctx, 'resourceMemoryRequest', 'memoryRequest', 'G'));
  const gpu = accelerator(ctx, config.gpuResourceName);
  if (gpu) limits[gpu.name] = gpu.count;

  const { requests: defaultRequests, limits: defaultLimits } = config.defaultResources;
  for (const name of new Set([...Object.keys(defaultRequests), ...Object.keys(defaultLimits)])) {
    if (requests[name] || limits[name]) continue;
    set(requests, name, defaultRequests[name] === undefined ? undefined : { text: defaultRequests[name], path: 'kubernetes.defaultResources.requests' });
    set(limits, name, defaultLimits[name] === undefined ? undefined : { text: defaultLimits[name], path: 'kubernetes.defaultResources.limits' });
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
