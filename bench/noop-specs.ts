import type { PipelineSpec } from '../ir/types';

/** A pipeline of `n` no-op steps (`true`), either chained one after another or all independent. */
export function noopPipeline(name: string, n: number, shape: 'chain' | 'fanout'): PipelineSpec {
  const tasks: PipelineSpec['root']['dag']['tasks'] = {};
  for (let i = 1; i <= n; i++) {
    const taskName = `step-${i}`;
    tasks[taskName] = {
      taskInfo: { name: taskName },
      componentRef: { name: 'comp-noop' },
      ...(shape === 'chain' && i > 1 ? { dependentTasks: [`step-${i - 1}`] } : {}),
    };
  }
  return {
    pipelineInfo: { name },
    schemaVersion: '2.1.0',
    sdkVersion: 'sluice-bench',
    root: { dag: { tasks } },
    components: { 'comp-noop': { executorLabel: 'exec-noop' } },
    deploymentSpec: { executors: { 'exec-noop': { container: { image: 'busybox', command: ['true'] } } } },
  };
}

/** A ParallelFor over `n` items whose body is one no-op step, with an optional parallelism limit. */
export function noopLoopPipeline(name: string, n: number, parallelismLimit = 0): PipelineSpec {
  return {
    pipelineInfo: { name },
    schemaVersion: '2.1.0',
    sdkVersion: 'sluice-bench',
    root: {
      dag: {
        tasks: {
          'for-loop-1': {
            taskInfo: { name: 'for-loop-1' },
            componentRef: { name: 'comp-for-loop-1' },
            parameterIterator: { itemInput: 'pipelinechannel--loop-item-param-1', items: { raw: JSON.stringify(Array.from({ length: n }, (_, i) => i)) } },
            ...(parallelismLimit > 0 ? { iteratorPolicy: { parallelismLimit } } : {}),
          },
        },
      },
    },
    components: {
      'comp-for-loop-1': {
        inputDefinitions: { parameters: { 'pipelinechannel--loop-item-param-1': { parameterType: 'NUMBER_INTEGER' } } },
        dag: { tasks: { noop: { taskInfo: { name: 'noop' }, componentRef: { name: 'comp-noop' } } } },
      },
      'comp-noop': { executorLabel: 'exec-noop' },
    },
    deploymentSpec: { executors: { 'exec-noop': { container: { image: 'busybox', command: ['true'] } } } },
  };
}
