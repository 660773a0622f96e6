import { CancellationScope } from '@temporalio/workflow';
import { ownValue } from '../ir/records';
import type { ComponentSpec } from '../ir/types';
import { RunContext, runExecutor, type Ending } from './dag-run';
import { StateWriter } from './state-writer';
import type { TaskBatchInput } from './task-batcher';

/**
 * A child workflow that runs one batch of a wide DAG's container tasks (see `task-batcher.ts`),
 * each as the task's own activity, recording them like the DAG's workflow would, and returns
 * each task's ending in order.
 */
export async function taskBatchRun(input: TaskBatchInput): Promise<Ending[]> {
  const writer = new StateWriter(input.run.runId);
  const ctx = new RunContext({ ...input.run, parallelism: input.slots }, writer);
  try {
    return await Promise.all(
      input.tasks.map(({ who, task, inputs, platformScope }) =>
        runExecutor(ctx, who, task, ownValue(input.run.spec.components, task.componentRef.name) as ComponentSpec, inputs, platformScope)),
    );
  } finally {
    await CancellationScope.nonCancellable(() => writer.drain());
  }
}
