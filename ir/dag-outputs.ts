/**
 * What a DAG instance hands to its parent when it ends (`dag.outputs`), and what a loop hands on
 * from its iterations (`dsl.Collected`). Pure, as KFP's driver resolves them.
 */
import { SpecValidationError } from './errors';
import { parameterFromText } from './parameter-values';
import { ownValue } from './records';
import type { ArtifactRef, ComponentSpec, ParameterValue, PipelineTaskSpec, TaskOutputs } from './types';

interface ParameterSelector {
  producerSubtask: string;
  outputParameterKey: string;
}

interface ArtifactSelector {
  producerSubtask: string;
  outputArtifactKey: string;
}

interface DagOutputsSpec {
  parameters?: Record<string, { valueFromParameter?: ParameterSelector; valueFromOneof?: { parameterSelectors?: ParameterSelector[] } }>;
  artifacts?: Record<string, { artifactSelectors?: ArtifactSelector[] }>;
}

/**
 * A DAG's outputs from its tasks' outputs. A `valueFromOneof` (dsl.OneOf) takes the first
 * selector whose task produced the value (the branch that ran); several `artifactSelectors` do
 * the same for artifacts. An output none of whose producers ran is left out, so a consumer that
 * requires it fails with the reason rather than receiving a made-up value.
 */
export function dagOutputs(component: ComponentSpec, outputs: Record<string, TaskOutputs>): TaskOutputs {
  const spec = (component.dag?.outputs ?? {}) as DagOutputsSpec;
  const parameters: Record<string, ParameterValue> = {};
  for (const [name, source] of Object.entries(spec.parameters ?? {})) {
    const selectors = source.valueFromParameter ? [source.valueFromParameter] : (source.valueFromOneof?.parameterSelectors ?? []);
    for (const selector of selectors) {
      const value = ownValue(ownValue(outputs, selector.producerSubtask)?.parameters, selector.outputParameterKey);
      if (value !== undefined && value !== null) {
        parameters[name] = value;
        break;
      }
    }
  }
  const artifacts: Record<string, ArtifactRef[]> = {};
  for (const [name, source] of Object.entries(spec.artifacts ?? {})) {
    for (const selector of source.artifactSelectors ?? []) {
      const refs = ownValue(ownValue(outputs, selector.producerSubtask)?.artifacts, selector.outputArtifactKey);
      if (refs && refs.length > 0) {
        artifacts[name] = refs;
        break;
      }
    }
  }
  return { parameters, artifacts };
}

/**
 * A loop's outputs from its iterations' DAG outputs, in iteration order: each parameter becomes
 * the LIST of the iterations' values, each artifact output the list of their artifacts
 * (`dsl.Collected`). An iteration that produced nothing for an output contributes nothing.
 */
export function collectIterations(iterations: readonly TaskOutputs[]): TaskOutputs {
  const parameters: Record<string, ParameterValue[]> = {};
  const artifacts: Record<string, ArtifactRef[]> = {};
  for (const outputs of iterations) {
    for (const [name, value] of Object.entries(outputs.parameters)) (parameters[name] ??= []).push(value);
    for (const [name, refs] of Object.entries(outputs.artifacts)) (artifacts[name] ??= []).push(...refs);
  }
  return { parameters, artifacts };
}

/** The items a ParallelFor iterates over, and the loop-body input each item is bound to. */
export type LoopItems =
  | { kind: 'parameter'; itemInput: string; items: ParameterValue[] }
  | { kind: 'artifact'; itemInput: string; items: ArtifactRef[] };

/**
 * The iterations of loop task `task`, from its resolved inputs: `items.raw` (a JSON list in the
 * spec), `items.inputParameter` (an input of the loop task holding a list, or its JSON text), or
 * `items.inputArtifact` (a list of artifacts, e.g. collected from an upstream loop).
 *
 * @throws SpecValidationError naming the iterator when the items are not a list.
 */
export function loopItems(task: PipelineTaskSpec, inputs: TaskOutputs, specPath: string): LoopItems | undefined {
  const parameter = task.parameterIterator as { itemInput: string; items: { raw?: string; inputParameter?: string } } | undefined;
  if (parameter) {
    const at = `${specPath}.parameterIterator.items`;
    let value: ParameterValue | undefined;
    try {
      value = parameter.items.raw !== undefined
        ? parameterFromText(parameter.items.raw, 'LIST')
        : ownValue(inputs.parameters, parameter.items.inputParameter ?? '');
      if (typeof value === 'string') value = parameterFromText(value, 'LIST');
    } catch (error) {
      throw new SpecValidationError([{ path: at, message: (error as Error).message }]);
    }
    if (!Array.isArray(value)) {
      throw new SpecValidationError([{ path: at, message: `the loop's items must be a list, got ${value === undefined ? 'no value' : JSON.stringify(value)}` }]);
    }
    return { kind: 'parameter', itemInput: parameter.itemInput, items: value };
  }
  const artifact = task.artifactIterator as { itemInput: string; items: { inputArtifact: string } } | undefined;
  if (artifact) {
    const refs = ownValue(inputs.artifacts, artifact.items.inputArtifact);
    if (!refs) throw new SpecValidationError([{ path: `${specPath}.artifactIterator.items`, message: `input artifact "${artifact.items.inputArtifact}" has no value` }]);
    return { kind: 'artifact', itemInput: artifact.itemInput, items: refs };
  }
  return undefined;
}

/** Iteration `index`'s inputs: the loop task's inputs with the item bound to the item input. */
export function iterationInputs(loop: LoopItems, inputs: TaskOutputs, index: number): TaskOutputs {
  if (loop.kind === 'parameter') return { parameters: { ...inputs.parameters, [loop.itemInput]: loop.items[index] }, artifacts: inputs.artifacts };
  return { parameters: inputs.parameters, artifacts: { ...inputs.artifacts, [loop.itemInput]: [loop.items[index]] } };
}
