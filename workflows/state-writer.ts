import { CancellationScope, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TaskTransition } from '../activities/types';
import { LocalLane } from './local-lane';

const writeOptions = {
  startToCloseTimeout: '1 minute',
  // Store writes must not be lost to a database outage: retried until they land.
  retry: { initialInterval: '1s', maximumInterval: '30s' },
} as const;
const { recordTaskStates } = proxyActivities<Activities>(writeOptions);
const local = proxyLocalActivities<Activities>(writeOptions);

/**
 * Patch: state writes run as local activities, in the worker that runs the workflow. A write is
 * a short database transaction; as a regular activity it cost two server round trips and three
 * history events each round, a third of a step's orchestration.
 */
const STATE_WRITES_LOCAL = 'state-writes-local';

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
  /** The workflow's one lane for local activities: its state writes and its tasks' inline runs share it. */
  readonly lane = new LocalLane();

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
        const input = { runId: this.runId, transitions };
        const write = patched(STATE_WRITES_LOCAL) ? () => this.lane.hold(() => local.recordTaskStates(input)) : () => recordTaskStates(input);
        await CancellationScope.nonCancellable(write);
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
