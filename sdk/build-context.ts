import type { ComponentDefinition } from './component';
import { SdkError } from './errors';
import { kfpName, uniqueName } from './naming';
import { PipelineTask } from './task';
import { resolveTaskInputs } from './task-inputs';

/**
 * Collects the tasks of one pipeline body while `compilePipeline` runs it. Task names depend only
 * on the order of calls inside the body, never on anything outside it.
 */
export class PipelineBuilder {
  readonly tasks: PipelineTask[] = [];
  private readonly taskNames = new Set<string>();

  constructor(readonly pipelineName: string) {}

  /** Records one call of `component`. @throws SdkError when the arguments do not fit its inputs. */
  addTask(component: ComponentDefinition, args: unknown): PipelineTask {
    const name = uniqueName(kfpName(component.name), this.taskNames);
    const context = { pipeline: this.pipelineName, task: name, component: component.name };
    const task = new PipelineTask(name, component, resolveTaskInputs(component.inputs, args, this, context), this);
    this.taskNames.add(name);
    this.tasks.push(task);
    return task;
  }
}

/** The builder of the pipeline body running right now; bodies are synchronous, so there is at most one. */
let active: PipelineBuilder | undefined;

/** Runs a pipeline body with `builder` collecting its component calls. */
export function runWithBuilder(builder: PipelineBuilder, body: () => unknown): void {
  if (active) {
    throw new SdkError(`pipelines cannot be compiled inside the body of another (pipeline '${active.pipelineName}')`, {
      pipeline: builder.pipelineName,
    });
  }
  active = builder;
  try {
    const result = body();
    if (result instanceof Promise || (typeof result === 'object' && result !== null && 'then' in result)) {
      throw new SdkError('a pipeline body must be synchronous: it only wires tasks, it does not run them', {
        pipeline: builder.pipelineName,
      });
    }
  } finally {
    active = undefined;
  }
}

/** @throws SdkError when a component is called outside a pipeline body. */
export function activeBuilder(componentName: string): PipelineBuilder {
  if (!active) {
    throw new SdkError('components can only be called inside a pipeline body (see pipeline() and compilePipeline())', {
      component: componentName,
    });
  }
  return active;
}
