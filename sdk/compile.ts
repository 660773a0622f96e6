import type { ComponentSpec, ExecutorSpec, PipelineSpec, PipelineTaskSpec } from '../ir/types';
import { PipelineBuilder, runWithBuilder } from './build-context';
import { ParameterChannel } from './channels';
import { renderComponent } from './component';
import { checkDecls, type PipelineInputDecls } from './declarations';
import { findDependencyCycle } from './dependency-cycle';
import { SdkError } from './errors';
import { checkPipelineName, componentKey, executorKey } from './naming';
import { toParameterSpec } from './parameter-types';
import type { Pipeline, PipelineInputs } from './pipeline';
import { SCHEMA_VERSION, SDK_VERSION } from './version';

/**
 * Compiles a pipeline to a KFP PipelineSpec (IR 2.1.0) as KFP's own compiler writes it: one
 * component and executor per task, protobuf-JSON field names, no fields KFP would not write.
 * The body is run afresh on each call, so the result depends on the definition alone.
 * @throws SdkError for anything KFP's compiler or backend would reject, naming the task and input.
 */
export function compilePipeline<I extends PipelineInputDecls>(definition: Pipeline<I>): PipelineSpec {
  const { name, description, inputs, body } = definition;
  checkPipelineName(name);
  const context = { pipeline: name };
  checkDecls(inputs, 'pipeline input', context);
  if (typeof body !== 'function') throw new SdkError('the pipeline body must be a function', context);

  const builder = new PipelineBuilder(name);
  const channels = Object.fromEntries(
    Object.entries(inputs).map(([input, decl]) => [
      input,
      new ParameterChannel(decl.parameterType, { kind: 'pipelineInput', name: input }, builder),
    ]),
  ) as PipelineInputs<I>;
  runWithBuilder(builder, () => body(channels));
  if (builder.tasks.length === 0) throw new SdkError('a pipeline needs at least one task', context);
  const cycle = findDependencyCycle(builder.tasks);
  if (cycle) throw new SdkError(`dependency cycle: ${cycle.join(' -> ')}`, { ...context, task: cycle[0] });

  const components: Record<string, ComponentSpec> = {};
  const executors: Record<string, ExecutorSpec> = {};
  const tasks: Record<string, PipelineTaskSpec> = {};
  for (const task of builder.tasks) {
    const rendered = renderComponent(task.component, task.name, { ...context, task: task.name, component: task.component.name });
    components[componentKey(task.name)] = rendered.component;
    executors[executorKey(task.name)] = rendered.executor;
    tasks[task.name] = task.toTaskSpec();
  }
  const parameters = Object.entries(inputs).map(([input, decl]) => [input, toParameterSpec(decl)]);
  return {
    components,
    deploymentSpec: { executors },
    pipelineInfo: { ...(description && { description }), name },
    root: {
      dag: { tasks },
      ...(parameters.length > 0 && { inputDefinitions: { parameters: Object.fromEntries(parameters) } }),
    },
    schemaVersion: SCHEMA_VERSION,
    sdkVersion: `sluice-${SDK_VERSION}`,
  };
}
