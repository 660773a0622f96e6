import { ActivityCancellationType, ApplicationFailure, proxyActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SeriesEnding, TaskActivityInput, TaskActivityResult } from '../activities/types';
import type { Slots } from './slots';
import { relaunchAfter } from './task-activity-options';

/**
 * How long a series starts tasks for, and how long each of its tasks may run before it is left
 * running for its own `runTask`. Short: the tasks queued behind a series wait for it, and a
 * series holds one of the run's slots. A change to it is a `patched()` change.
 */
export const SERIES_WINDOW_MS = 500;

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

interface Queued {
  input: TaskActivityInput;
  /** The task's own activity options: its retry policy, for a launch after a series' failure or a detached step. */
  options: ActivityOptions;
  resolve: (result: Promise<TaskActivityResult> | TaskActivityResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs a workflow's backlog of container tasks in series (`runTaskSeries`): while more tasks
 * wait than `width`, each series takes its share of the queue and runs it one task after
 * another in one activity, so a wide fan-out of short steps costs one trip through Temporal's
 * queues (scheduled, started, completed, and the workflow task each completion wakes) per series
 * instead of per step. A series holds one of the run's slots; at most `width` run at once. With
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
      while (this.running < Math.min(this.width, this.queue.length)) {
        this.running++;
        void this.series().finally(() => {
          this.running--;
          if (this.queue.length > 0) this.scheduleFill();
        });
      }
    });
  }

  private async series(): Promise<void> {
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
      const batch = this.takeShare();
      if (batch.length === 0) return;
      let endings: SeriesEnding[];
      try {
        const activity = proxyActivities<Activities>(seriesOptions(batch[0].input.taskPath, this.heartbeatTimeoutSeconds));
        ({ endings } = await activity.runTaskSeries(batch.map((b) => b.input), SERIES_WINDOW_MS));
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

  /**
   * The next series' tasks from the head of the queue: its share of the backlog, at most
   * `SERIES_MAX_TASKS`, and no more inputs than `SERIES_MAX_INPUT_CHARS` (one task whatever its
   * size): the series' input is one payload, under Temporal's 2 MiB limit however large the
   * tasks' resolved inputs are.
   */
  private takeShare(): Queued[] {
    const share = Math.min(SERIES_MAX_TASKS, Math.max(1, Math.ceil(this.queue.length / this.width)));
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
