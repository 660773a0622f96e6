import { executeChild, isCancellation } from '@temporalio/workflow';
import type { PlatformScopeValues, TaskIdentity } from '../activities/types';
import { FANOUT, placeBatches, type BatchPlacement } from '../ir/fanout';
import { subSpec } from '../ir/sub-spec';
import type { PipelineTaskSpec, TaskOutputs } from '../ir/types';
import type { Ending, RunContext } from './dag-run';
import { failureOf } from './failures';
import { Slots } from './slots';
import type { RunInput } from './types';

/** A container or importer task of a wide DAG, its inputs already resolved by the DAG's workflow. */
export interface BatchTask {
  who: TaskIdentity;
  task: PipelineTaskSpec;
  inputs: TaskOutputs;
  platformScope?: PlatformScopeValues;
}

/** The input of a `taskBatchRun` child. `run` holds only the batch's components and executors (`subSpec`). */
export interface TaskBatchInput {
  run: RunInput;
  tasks: BatchTask[];
  /** Tasks the child runs at once. */
  slots: number;
}

/**
 * Runs the container tasks of a wide DAG (`FANOUT.inlineDagTasks`) in `taskBatchRun` child
 * workflows instead of as the DAG workflow's own activities, so its history grows by a child per
 * hundred tasks rather than by ~6 events per task. Tasks that become ready in the same round are
 * batched together (up to `FANOUT.tasksPerChild`); each resolves with its own ending, so
 * dependents proceed per task's batch. The DAG's evaluator, conditions and inputs stay here.
 */
export class TaskBatcher {
  private readonly queue: { item: BatchTask; resolve: (ending: Ending) => void }[] = [];
  private flushQueued = false;
  private batches = 0;
  private readonly children: Slots;
  private readonly placement: BatchPlacement;

  constructor(
    private readonly ctx: RunContext,
    private readonly dagPath: string,
  ) {
    this.placement = placeBatches(ctx.input.parallelism);
    this.children = new Slots(this.placement.running);
  }

  run(item: BatchTask): Promise<Ending> {
    return this.ctx.track(() => new Promise((resolve) => {
      this.queue.push({ item, resolve });
      if (this.queue.length >= FANOUT.tasksPerChild) this.flush();
      else if (!this.flushQueued) {
        // Once the round that made these tasks ready has queued all of them (a microtask later).
        this.flushQueued = true;
        void Promise.resolve().then(() => {
          this.flushQueued = false;
          this.flush();
        });
      }
    }));
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, FANOUT.tasksPerChild);
      const tasks = batch.map((b) => b.item);
      const workflowId = `${this.ctx.input.runId}/${this.dagPath}/batch-${this.batches++}`;
      const input: TaskBatchInput = {
        // Its tasks' inputs are resolved: of the run it needs only their components and executors.
        run: { ...this.ctx.childRunInput(this.placement.running), ...subSpec(this.ctx.spec, this.ctx.input.platformSpec, ...new Set(tasks.map((t) => t.task.componentRef.name))), parameters: {} },
        tasks,
        slots: this.placement.slotsPerChild,
      };
      void this.children
        .with(() => executeChild('taskBatchRun', { workflowId, args: [input] }) as Promise<Ending[]>)
        .then(
          (endings) => batch.forEach((b, i) => b.resolve(endings[i] ?? this.lost(b.item, `batch ${workflowId} returned no ending for it`))),
          (err: unknown) => batch.forEach((b) => b.resolve(this.ended(b.item, err))),
        );
    }
  }

  /** A batch that ended without endings (canceled, terminated, failed): its tasks end with it. */
  private ended(item: BatchTask, err: unknown): Ending {
    if (isCancellation(err)) {
      this.ctx.transition({ ...item.who, state: 'CANCELED', reason: 'RUN_CANCELED' });
      return { end: 'CANCELED' };
    }
    return this.lost(item, failureOf(err).message);
  }

  private lost(item: BatchTask, message: string): Ending {
    const error = { message: `task ${item.who.taskPath}: ${message}` };
    this.ctx.transition({ ...item.who, state: 'FAILED', error });
    return { end: 'FAILED', error };
  }
}
