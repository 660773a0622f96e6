/**
 * A task's input values at run time, as KFP's driver resolves them: constants, pipeline
 * parameters, upstream outputs, then component defaults. Pure: the caller passes what the run
 * knows so far.
 */
import { SpecValidationError, type SpecIssue } from './errors';
import { parameterFromText, parameterToText, typeMismatch } from './parameter-values';
import { resolveConstantPlaceholders, type RunPlaceholderValues } from './placeholders';
import { ownValue } from './records';
import type { ArtifactRef, ParameterType, ParameterValue, PipelineSpec, PipelineTaskSpec, TaskInputParameter, TaskOutputs } from './types';

export type { TaskOutputs } from './types';

export interface ResolvedInputs {
  parameters: Record<string, ParameterValue>;
  artifacts: Record<string, ArtifactRef[]>;
}

/** A resolved value, or why there is none (used in the error if the input turns out to be required). */
type Resolution<T> = { value: T } | { missing: string };

/**
 * What a task's inputs may draw on: the inputs of the DAG instance that holds it (the pipeline's
 * parameters and input artifacts at the root; a sub-DAG's or loop iteration's resolved inputs
 * below it), and its sibling tasks' outputs and final states.
 */
export interface InputScope {
  parameters: Record<string, ParameterValue>;
  artifacts: Record<string, ArtifactRef[]>;
  /** Outputs of sibling tasks that succeeded, by task name. */
  outputs: Record<string, TaskOutputs>;
  /** The PipelineTaskFinalStatus struct of a sibling that ended (for exit handlers). */
  finalStatus?: (producerTask: string) => ParameterValue | undefined;
  /** Applies a `parameterExpressionSelector` (CEL) to a resolved value. */
  select?: (value: ParameterValue, selector: string) => ParameterValue;
}

/**
 * Resolves the inputs of `task` (named `taskName` in its DAG, found at `taskPath` in the spec
 * document, which issues name), as KFP's driver does. In order:
 * each input the task sets (a constant, an input of the enclosing DAG, a sibling's output or
 * final status, then its `parameterExpressionSelector`), placeholders inside constant strings
 * (run-level ones from `run`, and references to the task's other inputs, which kfp emits for
 * f-strings), then the component's default for every input still without a value. An optional
 * input with no value and no default is left out. Inputs the task sets that its component does
 * not declare (kfp's `pipelinechannel--` inputs) are kept, as KFP passes them too.
 *
 * Values reach a container component converted to its declared types as KFP's executor reads
 * them: a STRING input receives any value as its text, and text given for another type is read
 * as that type (a loop item `"3"` for an integer input). A DAG component's inputs pass through
 * unconverted and unchecked (a loop body's item input is bound per iteration, and its inner
 * tasks declare the types and requirements that matter), as KFP's driver does for DAGs.
 *
 * @throws SpecValidationError naming the task and input when a required input has no value
 *   (say, the producer did not emit the output) or a value does not fit its type.
 * @throws PlaceholderError when a constant's placeholder cannot be resolved.
 */
export function resolveTaskInputs(
  spec: PipelineSpec,
  taskName: string,
  task: PipelineTaskSpec,
  scope: InputScope,
  run?: RunPlaceholderValues,
  taskPath = `root.dag.tasks.${taskName}`,
): ResolvedInputs {
  const componentName = task.componentRef.name;
  const component = ownValue(spec.components, componentName);
  const definitions = component?.inputDefinitions ?? {};
  const convert = component?.dag === undefined;
  const issues: SpecIssue[] = [];
  const missing: Record<string, string> = {};

  const supplied: Record<string, ParameterValue> = {};
  for (const [name, input] of Object.entries(task.inputs?.parameters ?? {})) {
    const resolution = resolveParameter(input, scope);
    if ('value' in resolution) {
      try {
        supplied[name] = input.parameterExpressionSelector && scope.select ? scope.select(resolution.value, input.parameterExpressionSelector) : resolution.value;
      } catch (error) {
        issues.push({ path: `${taskPath}.inputs.parameters.${name}.parameterExpressionSelector`, message: (error as Error).message });
      }
    } else missing[name] = resolution.missing;
  }
  const parameters: Record<string, ParameterValue> = {};
  const rejected = new Set<string>();
  for (const [name, value] of Object.entries(supplied)) {
    const constant = task.inputs?.parameters?.[name]?.runtimeValue?.constant;
    const resolved = typeof constant === 'string' ? resolveConstantPlaceholders(constant, run, supplied) : value;
    const type = definitions.parameters?.[name]?.parameterType;
    try {
      parameters[name] = type && convert ? conform(resolved, type) : resolved;
    } catch (error) {
      issues.push({ path: `${taskPath}.inputs.parameters.${name}`, message: (error as Error).message });
      rejected.add(name);
    }
  }

  const artifacts: Record<string, ArtifactRef[]> = {};
  for (const [name, input] of Object.entries(task.inputs?.artifacts ?? {})) {
    const producer = input.taskOutputArtifact;
    const refs = producer
      ? ownValue(ownValue(scope.outputs, producer.producerTask)?.artifacts, producer.outputArtifactKey)
      : input.componentInputArtifact !== undefined ? ownValue(scope.artifacts, input.componentInputArtifact) : undefined;
    if (refs && refs.length > 0) artifacts[name] = refs;
    else if (producer) missing[name] = producerMissing(producer.producerTask, producer.outputArtifactKey, scope.outputs);
    else missing[name] = `input artifact "${input.componentInputArtifact}" of the enclosing DAG has no value`;
  }

  for (const [name, definition] of Object.entries(definitions.parameters ?? {})) {
    if (Object.hasOwn(parameters, name) || rejected.has(name)) continue;
    if (definition.defaultValue !== undefined && definition.defaultValue !== null) parameters[name] = definition.defaultValue;
    else if (!definition.isOptional && convert) issues.push(requiredIssue(`${taskPath}.inputs.parameters.${name}`, componentName, missing[name]));
  }
  for (const [name, definition] of Object.entries(definitions.artifacts ?? {})) {
    if (!Object.hasOwn(artifacts, name) && !definition.isOptional && convert) {
      issues.push(requiredIssue(`${taskPath}.inputs.artifacts.${name}`, componentName, missing[name]));
    }
  }
  if (issues.length > 0) throw new SpecValidationError(issues, `task "${taskName}" cannot start: its inputs are incomplete`);
  return { parameters, artifacts };
}

function resolveParameter(input: TaskInputParameter, scope: InputScope): Resolution<ParameterValue> {
  if (input.runtimeValue) {
    const constant = input.runtimeValue.constant;
    return constant === undefined || constant === null ? { missing: 'the constant is empty' } : { value: constant };
  }
  if (input.componentInputParameter !== undefined) {
    const value = ownValue(scope.parameters, input.componentInputParameter);
    return value === undefined || value === null
      ? { missing: `input "${input.componentInputParameter}" of the enclosing DAG has no value` }
      : { value };
  }
  if (input.taskOutputParameter) {
    const { producerTask, outputParameterKey } = input.taskOutputParameter;
    const value = ownValue(ownValue(scope.outputs, producerTask)?.parameters, outputParameterKey);
    return value === undefined || value === null ? { missing: producerMissing(producerTask, outputParameterKey, scope.outputs) } : { value };
  }
  if (input.taskFinalStatus) {
    const value = scope.finalStatus?.(input.taskFinalStatus.producerTask);
    return value === undefined ? { missing: `task "${input.taskFinalStatus.producerTask}" has not ended` } : { value };
  }
  return { missing: 'its source is not supported' };
}

function producerMissing(task: string, output: string, outputs: Record<string, TaskOutputs>): string {
  return ownValue(outputs, task) ? `task "${task}" did not produce output "${output}"` : `task "${task}" has no outputs (it has not succeeded)`;
}

function requiredIssue(path: string, component: string, reason: string | undefined): SpecIssue {
  return { path, message: `required by component "${component}" but has no value${reason ? `: ${reason}` : ' (the task does not supply it)'}` };
}

/** KFP's executor: a STRING input takes any value as text, text is read as the declared type, numbers fit either numeric type; otherwise the type must match. */
function conform(value: ParameterValue, type: ParameterType): ParameterValue {
  if (type === 'STRING') return parameterToText(value);
  if (typeof value === 'string') return parameterFromText(value, type);
  if (typeof value === 'number' && (type === 'NUMBER_INTEGER' || type === 'NUMBER_DOUBLE')) return value;
  const mismatch = typeMismatch(value, type);
  if (mismatch) throw new Error(mismatch);
  return value;
}
