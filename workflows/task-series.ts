import { ActivityCancellationType, ApplicationFailure, patched, proxyActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SeriesEnding, TaskActivityInput, TaskActivityResult } from '../activities/types';
import type { Slots } from './slots';
import { relaunchAfter } from './task-activity-options';

/**
 * How long each task of a series may run before it is left running for its own `runTask`, and,
 * before patch `series-even-fill`, also how long a series starts tasks for. Short: the tasks
 * queued behind a series wait for it, and a series holds one of the run's slots. A change to it
 * is a `patched()` change.
 */
export const SERIES_WINDOW_MS = 500;

/**
 * How long a series starts tasks for, since patch `series-even-fill`: long enough for a lane's
 * even share of a backlog (up to `SERIES_MAX_TASKS` short steps, each sharing the machine with
 * the other lanes' steps) to run in one series, so the backlog costs one series per lane
 * instead of a wave of ever shorter ones. A step that runs longer than `SERIES_WINDOW_MS` still
 * ends its series at once. A change to it is a `patched()` change.
 */
export const SERIES_START_WINDOW_MS = 2000;

/**
 * Patch: the lanes a fill starts share the backlog evenly (each takes `ceil(queued / width)` of
 * the queue as the first of them found it), and a series starts tasks for
 * `SERIES_START_WINDOW_MS`. Before it, each lane took its share of what the lanes before it had
 * left, so a fill's shares shrank lane by lane (13, 12, 11, … 5 of a 200-task backlog over 16
 * lanes), the short series ended early and took ever smaller shares again: ~50 series for 200
 * tasks, each costing a trip through Temporal's queues and a workflow task.
 */
const SERIES_EVEN_FILL = 'series-even-fill';

/** Tasks in one series at most. */
export const SERIES_MAX_TASKS = 16;

/** A series' inputs at most, as JSON characters: far below Temporal's 2 MiB payload limit before compression. */
export const SERIES_MAX_INPUT_CHARS = 256 * 1024;

/** The series activity's own options: only the worker or the store can fail it (a task's launch failure is that task's ending). */
function seriesOptions(first: string, heartbeatTimeoutSeconds: number): ActivityOptions {
  return {
    activityId: `series/${first}`,
    // A canceled series stops its step and reports the tasks that ended before the cancellation.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: first,
    startToCloseTimeout: '1 day',
    heartbeatTimeout: `${heartbeatTimeoutSeconds}s`,
    retry: { initialInterval: '1s', maximumInterval: '30s' },
  };
}

/** The lanes one fill starts: they take the same share of the queue (patch `series-even-fill`). */
interface Fill {
  share?: number;
}

interface Queued {
  input: TaskActivityInput;
  /** The task's own activity options: its retry policy, for a launch after a series' failure or a detached step. */
  options: ActivityOptions;
  resolve: (result: Promise<TaskActivityResult> | TaskActivityResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs a workflow's backlog of container tasks in series (`runTaskSeries`): while more tasks
 * wait than `width`, each series takes its share of the queue (the lanes a fill starts, an even
 * share each) and runs it one task after another in one activity, so a wide fan-out of short
 * steps costs one trip through Temporal's queues (scheduled, started, completed, and the
 * workflow task each completion wakes) per series instead of per step. A series holds one of the run's slots; at most `width` run at once. With
 * `width` or fewer tasks waiting, each task is a series of its own and they all run at once.
 *
 * A task's ending comes back with its series. A step still running after the window goes on as
 * the task's own `runTask` (which reattaches to it), and the tasks the series did not start go
 * back to the head of the queue. A launch failure its retry policy allows another launch for
 * waits the policy's first backoff and goes on as `runTask`, which takes the next launch.
 */
export class TaskSeries {
  private readonly queue: Queued[] = [];
  private running = 0;
  private fillQueued = false;

  constructor(
    private readonly slots: Slots,
    private readonly width: number,
    private readonly heartbeatTimeoutSeconds: number,
  ) {}

  run(input: TaskActivityInput, options: ActivityOptions): Promise<TaskActivityResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, options, resolve, reject });
      this.scheduleFill();
    });
  }

  /** A microtask later: once the round that made these tasks ready has queued all of them. */
  private scheduleFill(): void {
    if (this.fillQueued) return;
    this.fillQueued = true;
    void Promise.resolve().then(() => {
      this.fillQueued = false;
      const fill: Fill | undefined = patched(SERIES_EVEN_FILL) ? {} : undefined;
      while (this.running < Math.min(this.width, this.queue.length)) {
        this.running++;
        void this.series(fill).finally(() => {
          this.running--;
          if (this.queue.length > 0) this.scheduleFill();
        });
      }
    });
  }

  /** `fill`: the lanes started with this one (patch `series-even-fill`); without it, each takes its share of the queue as it finds it. */
  private async series(fill: Fill | undefined): Promise<void> {
    try {
      await this.slots.acquire();
    } catch (err) {
      // The run was canceled while this series waited for a slot: so were the tasks queued.
      for (const queued of this.queue.splice(0)) queued.reject(err);
      return;
    }
    // A step left running goes on in this series' slot: another task must not start in it meanwhile.
    let slotHandedOver = false;
    try {
      // Decided when the fill's first lane gets its slot, not when the fill starts: the tasks of
      // the round that started it may still be on their way to the queue then (each waits for a
      // slot to learn whether it runs inline), and the lanes wait for their slots behind them.
      const share = fill ? (fill.share ??= this.shareOf(this.queue.length)) : this.shareOf(this.queue.length);
      const batch = this.take(share);
      if (batch.length === 0) return;
      let endings: SeriesEnding[];
      try {
        const activity = proxyActivities<Activities>(seriesOptions(batch[0].input.taskPath, this.heartbeatTimeoutSeconds));
        const inputs = batch.map((b) => b.input);
        ({ endings } = await (fill === undefined ? activity.runTaskSeries(inputs, SERIES_WINDOW_MS) : activity.runTaskSeries(inputs, SERIES_WINDOW_MS, SERIES_START_WINDOW_MS)));
      } catch (err) {
        for (const queued of batch) queued.reject(err);
        return;
      }
      const unstarted: Queued[] = [];
      batch.forEach((queued, i) => {
        const ending = endings[i];
        if (!ending) unstarted.push(queued);
        else if ('result' in ending) queued.resolve(ending.result);
        else if ('detached' in ending) {
          slotHandedOver = true;
          queued.resolve(this.reattach(queued));
        }
        else if (ending.failed.nonRetryable) queued.reject(ApplicationFailure.create({ ...ending.failed, details: ending.failed.details }));
        else queued.resolve(this.relaunch(queued));
      });
      this.queue.unshift(...unstarted);
    } finally {
      if (!slotHandedOver) this.slots.release();
    }
  }

  /** A series' share of `queued` tasks: at most `SERIES_MAX_TASKS`, at least one. */
  private shareOf(queued: number): number {
    return Math.min(SERIES_MAX_TASKS, Math.max(1, Math.ceil(queued / this.width)));
  }

  /**
   * The next series' tasks from the head of the queue: `share` of them, and no more inputs than
   * `SERIES_MAX_INPUT_CHARS` (one task whatever its size): the series' input is one payload,
   * under Temporal's 2 MiB limit however large the tasks' resolved inputs are.
   */
  private take(share: number): Queued[] {
    let count = 0;
    let chars = 0;
    while (count < Math.min(share, this.queue.length)) {
      chars += JSON.stringify(this.queue[count].input).length;
      if (count > 0 && chars > SERIES_MAX_INPUT_CHARS) break;
      count++;
    }
    return this.queue.splice(0, count);
  }

  /** A step the series left running, as its own `runTask` (which reattaches to it), in the series' slot. */
  private async reattach(queued: Queued): Promise<TaskActivityResult> {
    try {
      return await proxyActivities<Activities>(queued.options).runTask(queued.input);
    } finally {
      this.slots.release();
    }
  }

  /** After a launch failure the retry policy allows another launch for: its first backoff, then the next launch as `runTask`, in a slot of its own. */
  private async relaunch(queued: Queued): Promise<TaskActivityResult> {
    const next = relaunchAfter(queued.options);
    await sleep(next.backoffMs);
    return this.slots.with(() => proxyActivities<Activities>(next.options).runTask(queued.input));
  }
}
