/**
 * A task's input values at run time, as KFP's driver resolves them: constants, pipeline
 * parameters, upstream outputs, then component defaults. Pure: the caller passes what the run
 * knows so far.
 */
import { SpecValidationError, type SpecIssue } from './errors';
import { parameterToText, typeMismatch } from './parameter-values';
import { resolveConstantPlaceholders, type RunPlaceholderValues } from './placeholders';
import { ownValue } from './records';
import type { ArtifactRef, ParameterType, ParameterValue, PipelineSpec, TaskInputParameter, TaskOutputs } from './types';

export type { TaskOutputs } from './types';

export interface ResolvedInputs {
  parameters: Record<string, ParameterValue>;
  artifacts: Record<string, ArtifactRef[]>;
}

/** A resolved value, or why there is none (used in the error if the input turns out to be required). */
type Resolution<T> = { value: T } | { missing: string };

/**
 * Resolves the inputs of root task `taskName`. In order: each input the task sets (a constant,
 * a pipeline parameter from `runParams`, or an upstream task's output from `outputs`), then
 * placeholders inside constant strings (run-level ones from `run`, and references to the task's
 * other inputs, which kfp emits for f-strings), then the component's default for every input
 * still without a value. An optional input with no value and no default is left out. Inputs the
 * task sets that its component does not declare (kfp's `pipelinechannel--` inputs) are kept, as
 * KFP passes them too.
 *
 * A STRING input receives any value as its text, as KFP's driver converts it; other types must
 * match (a NUMBER_INTEGER or NUMBER_DOUBLE input takes any number).
 *
 * @param outputs outputs of the tasks that have succeeded, by task name.
 * @param run run-level values for placeholders in constants; needed only when a constant uses one.
 * @throws SpecValidationError naming the task and input when a required input has no value
 *   (say, the producer did not emit the output) or a value has the wrong type.
 * @throws PlaceholderError when a constant's placeholder cannot be resolved.
 */
export function resolveTaskInputs(
  spec: PipelineSpec,
  taskName: string,
  runParams: Record<string, ParameterValue>,
  outputs: Record<string, TaskOutputs>,
  run?: RunPlaceholderValues,
): ResolvedInputs {
  const taskPath = `root.dag.tasks.${taskName}`;
  const task = ownValue(spec.root.dag.tasks, taskName);
  if (!task) throw new SpecValidationError([{ path: taskPath, message: 'no such task in the pipeline' }]);
  const componentName = task.componentRef.name;
  const definitions = ownValue(spec.components, componentName)?.inputDefinitions ?? {};
  const issues: SpecIssue[] = [];
  const missing: Record<string, string> = {};

  const supplied: Record<string, ParameterValue> = {};
  for (const [name, input] of Object.entries(task.inputs?.parameters ?? {})) {
    const resolution = resolveParameter(input, runParams, outputs);
    if ('value' in resolution) supplied[name] = resolution.value;
    else missing[name] = resolution.missing;
  }
  const parameters: Record<string, ParameterValue> = {};
  const rejected = new Set<string>();
  for (const [name, value] of Object.entries(supplied)) {
    const constant = task.inputs?.parameters?.[name]?.runtimeValue?.constant;
    const resolved = typeof constant === 'string' ? resolveConstantPlaceholders(constant, run, supplied) : value;
    const type = definitions.parameters?.[name]?.parameterType;
    try {
      parameters[name] = type ? conform(resolved, type) : resolved;
    } catch (error) {
      issues.push({ path: `${taskPath}.inputs.parameters.${name}`, message: (error as Error).message });
      rejected.add(name);
    }
  }

  const artifacts: Record<string, ArtifactRef[]> = {};
  for (const [name, input] of Object.entries(task.inputs?.artifacts ?? {})) {
    const producer = input.taskOutputArtifact;
    const refs = producer && ownValue(ownValue(outputs, producer.producerTask)?.artifacts, producer.outputArtifactKey);
    if (refs && refs.length > 0) artifacts[name] = refs;
    else if (producer) missing[name] = producerMissing(producer.producerTask, producer.outputArtifactKey, outputs);
    else missing[name] = 'pipeline input artifacts are not supported';
  }

  for (const [name, definition] of Object.entries(definitions.parameters ?? {})) {
    if (Object.hasOwn(parameters, name) || rejected.has(name)) continue;
    if (definition.defaultValue !== undefined && definition.defaultValue !== null) parameters[name] = definition.defaultValue;
    else if (!definition.isOptional) issues.push(requiredIssue(`${taskPath}.inputs.parameters.${name}`, componentName, missing[name]));
  }
  for (const [name, definition] of Object.entries(definitions.artifacts ?? {})) {
    if (!Object.hasOwn(artifacts, name) && !definition.isOptional) {
      issues.push(requiredIssue(`${taskPath}.inputs.artifacts.${name}`, componentName, missing[name]));
    }
  }
  if (issues.length > 0) throw new SpecValidationError(issues, `task "${taskName}" cannot start: its inputs are incomplete`);
  return { parameters, artifacts };
}

function resolveParameter(
  input: TaskInputParameter,
  runParams: Record<string, ParameterValue>,
  outputs: Record<string, TaskOutputs>,
): Resolution<ParameterValue> {
  if (input.runtimeValue) {
    const constant = input.runtimeValue.constant;
    return constant === undefined || constant === null ? { missing: 'the constant is empty' } : { value: constant };
  }
  if (input.componentInputParameter !== undefined) {
    const value = ownValue(runParams, input.componentInputParameter);
    return value === undefined || value === null
      ? { missing: `pipeline parameter "${input.componentInputParameter}" has no value` }
      : { value };
  }
  if (input.taskOutputParameter) {
    const { producerTask, outputParameterKey } = input.taskOutputParameter;
    const value = ownValue(ownValue(outputs, producerTask)?.parameters, outputParameterKey);
    return value === undefined || value === null ? { missing: producerMissing(producerTask, outputParameterKey, outputs) } : { value };
  }
  return { missing: 'its source is not supported' };
}

function producerMissing(task: string, output: string, outputs: Record<string, TaskOutputs>): string {
  return ownValue(outputs, task) ? `task "${task}" did not produce output "${output}"` : `task "${task}" has no outputs (it has not succeeded)`;
}

function requiredIssue(path: string, component: string, reason: string | undefined): SpecIssue {
  return { path, message: `required by component "${component}" but has no value${reason ? `: ${reason}` : ' (the task does not supply it)'}` };
}

/** KFP's driver: a STRING input takes any value as text; numbers fit either numeric type; otherwise the type must match. */
function conform(value: ParameterValue, type: ParameterType): ParameterValue {
  if (type === 'STRING') return parameterToText(value);
  if (typeof value === 'number' && (type === 'NUMBER_INTEGER' || type === 'NUMBER_DOUBLE')) return value;
  const mismatch = typeMismatch(value, type);
  if (mismatch) throw new Error(mismatch);
  return value;
}
