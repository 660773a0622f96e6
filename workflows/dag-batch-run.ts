import { CancellationScope } from '@temporalio/workflow';
import { ownValue } from '../ir/records';
import type { ComponentSpec } from '../ir/types';
import { RunContext, runIterations, type DagBatchInput, type Ending } from './dag-run';
import { Slots } from './slots';
import { StateWriter } from './state-writer';

/**
 * A child workflow that runs one block of a large loop's iterations (see `ir/fanout.ts`), so the
 * loop's events and pending work spread over many histories instead of one. It records its
 * iterations and their tasks like the parent would, and returns each iteration's ending in
 * order for the parent to collect. Its spec may be only the loop body's part (`DagBatchInput`),
 * which is all the body's instances read.
 */
export async function dagBatchRun(input: DagBatchInput): Promise<Ending[]> {
  const writer = new StateWriter(input.run.runId);
  const ctx = new RunContext({ ...input.run, parallelism: input.slots }, writer);
  const component = ownValue(input.run.spec.components, input.loop.componentName) as ComponentSpec;
  try {
    const unbounded = input.unboundedIterations === true && ctx.series !== undefined;
    return await runIterations(ctx, input.loop, component, input.items, input.inputs, input.start, new Slots(unbounded ? Number.POSITIVE_INFINITY : input.slots));
  } finally {
    await CancellationScope.nonCancellable(() => writer.drain());
  }
}

