/**
 * What a child workflow that runs instances of one DAG component (a large loop's body, see
 * `ir/fanout.ts`) needs of its run. Each child's input is stored in its own history, so anything
 * it carries without needing it is stored once per child, and the whole spec of a big pipeline
 * could exceed the payload limit in every one of them.
 */
import { platformSpecForExecutors } from './platform';
import { ownValue } from './records';
import type { ComponentSpec, PipelineSpec, TaskOutputs } from './types';

export interface SubSpec {
  spec: PipelineSpec;
  platformSpec?: Record<string, unknown>;
}

/**
 * The smallest spec and platform document that run instances of `componentNames` as the
 * interpreter and the activities read them: the components it reaches through its tasks
 * (sub-DAGs, branches and nested loops, recursively), the executors those components use, and
 * their kfp-kubernetes executor configs. The root DAG is empty (a child never runs it), and of the
 * top-level fields only those a `PipelineSpec` requires remain; run-level placeholder values
 * (`{{$.pipeline_job_name}}`, the pipeline root, …) come from the run input, not the spec.
 */
export function subSpec(spec: PipelineSpec, platformSpec: Record<string, unknown> | undefined, ...componentNames: string[]): SubSpec {
  const components = reachableComponents(spec, componentNames);
  const labels = new Set<string>();
  for (const component of components.values()) if (component.executorLabel !== undefined) labels.add(component.executorLabel);
  return {
    spec: {
      pipelineInfo: { name: spec.pipelineInfo.name },
      schemaVersion: spec.schemaVersion,
      components: pick(spec.components, new Set(components.keys())),
      deploymentSpec: { executors: pick(spec.deploymentSpec.executors, labels) },
      root: { dag: { tasks: {} } },
    },
    platformSpec: platformSpecForExecutors(platformSpec, labels),
  };
}

/**
 * Of `inputs` given to an instance of DAG component `componentName`, the values its tasks can
 * read: those named by a `componentInputParameter` or `componentInputArtifact` of a task in the
 * component, or in a sub-DAG it reaches unless a sub-DAG on the way declares that name (a sub-DAG
 * inherits only the inputs it does not declare, as `inherit` in workflows/dag-run.ts does). A
 * loop body is given every input of the DAG around the loop and the loop task's own, among them
 * the whole list it iterates over, which none of its tasks reads.
 */
export function inputsReadBy(spec: PipelineSpec, componentName: string, inputs: TaskOutputs): TaskOutputs {
  const parameters = new Set<string>();
  const artifacts = new Set<string>();
  const visited = new Set<string>();
  const visit = (name: string, declared: { parameters: ReadonlySet<string>; artifacts: ReadonlySet<string> }): void => {
    const dag = ownValue(spec.components, name)?.dag;
    const key = JSON.stringify([name, [...declared.parameters].sort(), [...declared.artifacts].sort()]);
    if (!dag || visited.has(key)) return;
    visited.add(key);
    for (const task of Object.values(dag.tasks)) {
      for (const input of Object.values(task.inputs?.parameters ?? {})) {
        const source = input.componentInputParameter;
        if (source !== undefined && !declared.parameters.has(source)) parameters.add(source);
      }
      for (const input of Object.values(task.inputs?.artifacts ?? {})) {
        const source = input.componentInputArtifact;
        if (source !== undefined && !declared.artifacts.has(source)) artifacts.add(source);
      }
      const own = ownValue(spec.components, task.componentRef.name)?.inputDefinitions;
      visit(task.componentRef.name, {
        parameters: new Set([...declared.parameters, ...Object.keys(own?.parameters ?? {})]),
        artifacts: new Set([...declared.artifacts, ...Object.keys(own?.artifacts ?? {})]),
      });
    }
  };
  visit(componentName, { parameters: new Set(), artifacts: new Set() });
  return { parameters: pick(inputs.parameters, parameters), artifacts: pick(inputs.artifacts, artifacts) };
}

/** `componentNames` and every component their DAG tasks refer to, recursively, by name. */
function reachableComponents(spec: PipelineSpec, componentNames: string[]): Map<string, ComponentSpec> {
  const found = new Map<string, ComponentSpec>();
  const pending = [...componentNames];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const component = ownValue(spec.components, name);
    if (!component || found.has(name)) continue;
    found.set(name, component);
    for (const task of Object.values(component.dag?.tasks ?? {})) pending.push(task.componentRef.name);
  }
  return found;
}

/** The entries of `record` whose keys are in `keys`, in the record's order. */
function pick<T>(record: Record<string, T>, keys: ReadonlySet<string>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => keys.has(key)));
}
