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
