import { ownValue } from './records';
import type { PipelineSpec } from './types';

/**
 * The part of `spec` that running the container and importer tasks of `componentNames` needs:
 * those components and their executors, under the run's own pipeline info. A child workflow that
 * runs a batch of a wide DAG's tasks gets this instead of the whole spec, so a fan-out of 8,000
 * tasks does not copy its spec into 80 histories.
 */
export function specForExecutors(spec: PipelineSpec, componentNames: Iterable<string>): PipelineSpec {
  const components: PipelineSpec['components'] = {};
  const executors: PipelineSpec['deploymentSpec']['executors'] = {};
  for (const name of componentNames) {
    const component = ownValue(spec.components, name);
    if (!component) continue;
    components[name] = component;
    const label = component.executorLabel;
    const executor = label ? ownValue(spec.deploymentSpec.executors, label) : undefined;
    if (label && executor) executors[label] = executor;
  }
  return {
    pipelineInfo: spec.pipelineInfo,
    schemaVersion: spec.schemaVersion,
    sdkVersion: spec.sdkVersion,
    root: { dag: { tasks: {} } },
    components,
    deploymentSpec: { executors },
  };
}
