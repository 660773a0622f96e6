import { CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TaskTransition } from '../activities/types';

const { recordTaskStates } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Store writes must not be lost to a database outage: retried until they land.
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Rows per activity call: a batch stays far below Temporal's 2 MiB payload limit. */
const BATCH_ROWS = 500;

/**
 * The workflow's one writer of task state. Transitions queue up while a batch is in flight and
 * go together in the next `recordTaskStates` call, so state reaches PostgreSQL promptly with one
 * activity per round rather than one per task. Writes are not cancellable: a canceled run still
 * records how its tasks ended.
 */
export class StateWriter {
  private readonly queue: TaskTransition[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly runId: string) {}

  push(transition: TaskTransition): void {
    this.queue.push(transition);
    this.flushing ??= this.flush();
  }

  /** Resolves once everything pushed so far is stored. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const transitions = this.queue.splice(0, BATCH_ROWS);
        await CancellationScope.nonCancellable(() => recordTaskStates({ runId: this.runId, transitions }));
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
