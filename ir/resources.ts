/**
 * A container's resource requests and limits for one task, as KFP's driver resolves them before
 * it patches the step's pod (backend/src/v2/driver/driver.go `initPodSpecPatch`, `getPodResource`;
 * resolve.go `resolvePodSpecInputRuntimeParameter`). kfp compiles `task.set_cpu_limit(x)` and its
 * siblings to a `resource*` string holding `x`, or, when `x` is a pipeline input or an upstream
 * output, a `{{$.inputs.parameters['pipelinechannel--…']}}` placeholder filled from the task's
 * inputs; the deprecated numeric fields (cores, GB) apply only when the string is absent. Pure:
 * a launch resolves them, and validation checks the ones that hold no placeholder.
 */
import { ResourceError } from './errors';
import { parameterToText } from './parameter-values';
import { inputParameterReferences, substituteInputParameters } from './placeholders';
import { isPlainObject, ownValue } from './records';
import type { ParameterValue, ResourceSpec } from './types';

/** What a launch asks of its runner. Quantities are Kubernetes quantities: "500m", "2", "1G", "512Mi". */
export interface ResourceRequirements {
  cpuLimit?: string;
  cpuRequest?: string;
  memoryLimit?: string;
  memoryRequest?: string;
  accelerator?: { type: string; count: number };
}

/** A resource field that reads task inputs. */
export interface ResourceInput {
  /** Where the field is in the executor's `resources`, e.g. `resourceCpuLimit`, `accelerator.resourceCount`. */
  key: string;
  /** The inputs its placeholders name. */
  reads: string[];
  /** The task input kfp's compiler adds beside it (`cpu_limit`, …: kfp's ResourceSpec attribute names). */
  feeder: string;
}

/** Reads a value's text as one kind of resource: its normalized form, or undefined when it is not one. */
type Parse = (text: string) => string | number | undefined;

interface FieldKind {
  parse: Parse;
  /** Completes "… is not": what a valid value looks like. */
  expected: string;
}

/** One resource field as a spec writes it. */
interface Field {
  /** Its name in `ResourceRequirements` and in messages (`cpuLimit`, `accelerator.count`). */
  name: string;
  key: string;
  /** The spec's text, or the deprecated number's; a placeholder is still unresolved. */
  raw: string;
  feeder: string;
  kind: FieldKind;
}

// kfp's SDK rule for cpu (PipelineTask._validate_cpu_request_limit): cores, or millicores with "m".
const CPU_QUANTITY = /^(\d*\.)?\d+m?$/;
// kfp's SDK memory units ("K" among them), and the decimal and lowercase-k forms Kubernetes also takes.
const MEMORY_QUANTITY = /^(\d*\.)?\d+(Ei|Pi|Ti|Gi|Mi|Ki|E|P|T|G|M|K|k)?$/;

const CPU: FieldKind = {
  parse: (text) => (CPU_QUANTITY.test(text) ? text : undefined),
  expected: 'a CPU quantity (cores like "2" or "0.5", or millicores like "500m")',
};
const MEMORY: FieldKind = {
  // Kubernetes spells kilo "k"; kfp's SDK allows "K", which a pod spec would refuse.
  parse: (text) => (MEMORY_QUANTITY.test(text) ? text.replace(/K$/, 'k') : undefined),
  expected: 'a memory quantity (bytes, or a number with a unit such as "1G" or "512Mi")',
};
const ACCELERATOR_TYPE: FieldKind = { parse: (text) => text || undefined, expected: 'an accelerator type' };
const ACCELERATOR_COUNT: FieldKind = {
  parse: (text) => (/^\d+$/.test(text) ? Number(text) : undefined),
  expected: 'an accelerator count (a whole number)',
};

const QUANTITIES = [
  { name: 'cpuLimit', key: 'resourceCpuLimit', feeder: 'cpu_limit', kind: CPU, unit: '' },
  { name: 'cpuRequest', key: 'resourceCpuRequest', feeder: 'cpu_request', kind: CPU, unit: '' },
  { name: 'memoryLimit', key: 'resourceMemoryLimit', feeder: 'memory_limit', kind: MEMORY, unit: 'G' },
  { name: 'memoryRequest', key: 'resourceMemoryRequest', feeder: 'memory_request', kind: MEMORY, unit: 'G' },
] as const;

/** A non-empty string field, else the deprecated field's non-zero value (KFP's driver ignores "" and 0). */
function rawValue(text: unknown, legacy: unknown, unit = ''): string | undefined {
  if (typeof text === 'string' && text !== '') return text;
  if ((typeof legacy === 'number' && legacy !== 0) || (typeof legacy === 'string' && legacy !== '' && legacy !== '0')) return `${legacy}${unit}`;
  return undefined;
}

/** The fields `spec` sets. Reads defensively: validation passes it a document it has not typed yet. */
function fieldsOf(spec: unknown): Field[] {
  if (!isPlainObject(spec)) return [];
  const fields: Field[] = [];
  for (const { name, key, feeder, kind, unit } of QUANTITIES) {
    const raw = rawValue(spec[key], spec[name], unit);
    if (raw !== undefined) fields.push({ name, key, raw, feeder, kind });
  }
  const accelerator = isPlainObject(spec.accelerator) ? spec.accelerator : {};
  const type = rawValue(accelerator.resourceType, accelerator.type);
  const count = rawValue(accelerator.resourceCount, accelerator.count);
  if (type !== undefined) fields.push({ name: 'accelerator.type', key: 'accelerator.resourceType', raw: type, feeder: 'accelerator_type', kind: ACCELERATOR_TYPE });
  if (count !== undefined) fields.push({ name: 'accelerator.count', key: 'accelerator.resourceCount', raw: count, feeder: 'accelerator_count', kind: ACCELERATOR_COUNT });
  return fields;
}

/** The resource fields of `spec` that read task inputs through placeholders. */
export function resourceInputs(spec: unknown): ResourceInput[] {
  return fieldsOf(spec).flatMap(({ key, raw, feeder }) => {
    const reads = inputParameterReferences(raw);
    return reads.length > 0 ? [{ key, reads, feeder }] : [];
  });
}

/** Resource fields of `spec` that hold no placeholder and are not a value of their kind, with why. */
export function staticResourceIssues(spec: unknown): { key: string; message: string }[] {
  return fieldsOf(spec)
    .filter(({ raw, kind }) => inputParameterReferences(raw).length === 0 && kind.parse(raw.trim()) === undefined)
    .map(({ key, raw, kind }) => ({ key, message: `${JSON.stringify(raw)} is not ${kind.expected}` }));
}

/**
 * The resources one launch of task `taskName` asks for: each field's placeholders filled from the
 * task's resolved input parameters (as text; surrounding whitespace, such as an output file's
 * trailing newline, is ignored), then read as its kind. An accelerator counts only with a
 * non-empty type, as in KFP's driver. Undefined when the executor sets no resources.
 *
 * @throws ResourceError naming the field, its value and the task, when a value is not of its
 *   kind or a placeholder names an input that has no value.
 */
export function resolveResources(
  spec: ResourceSpec | undefined,
  parameters: Record<string, ParameterValue>,
  taskName: string,
): ResourceRequirements | undefined {
  const values = new Map<string, string | number>();
  for (const field of fieldsOf(spec)) {
    if (field.name === 'accelerator.count' && !values.has('accelerator.type')) continue;
    const text = substituteInputParameters(field.raw, (input) => {
      const value = ownValue(parameters, input);
      if (value === undefined || value === null) {
        throw new ResourceError(`resources.${field.name} of task '${taskName}' reads input "${input}", which has no value`);
      }
      return parameterToText(value);
    }).trim();
    // An input that resolves to "" leaves the type unset, so the accelerator is dropped, as in KFP.
    if (field.name === 'accelerator.type' && text === '') continue;
    const value = field.kind.parse(text);
    if (value === undefined) throw new ResourceError(`resources.${field.name} ${JSON.stringify(text)} of task '${taskName}' is not ${field.kind.expected}`);
    values.set(field.name, value);
  }
  const resources: ResourceRequirements = {};
  for (const { name } of QUANTITIES) {
    const value = values.get(name);
    if (typeof value === 'string') resources[name] = value;
  }
  const type = values.get('accelerator.type');
  const count = values.get('accelerator.count');
  if (typeof type === 'string' && typeof count === 'number') resources.accelerator = { type, count };
  return Object.keys(resources).length > 0 ? resources : undefined;
}
