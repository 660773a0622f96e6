import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { PIPELINE_RUN_WORKFLOW } from '../../config/constants';
import type { RunInput } from '../../workflows/types';
import { describeError } from '../../config/describe-error';
import { searchAttributesOf } from './run-workflows';

/** What a recurring run's Temporal Schedule is made of. */
export interface ScheduleDefinition {
  /** The recurring run id: the schedule's id and the prefix of every workflow (run) id it starts. */
  scheduleId: string;
  spec: ScheduleSpec;
  overlap: ScheduleOverlapPolicy;
  catchupWindow: number;
  /** The schedule action's input: `runId` empty, `recurringRunId` set. */
  input: RunInput;
  paused: boolean;
}

/** The memo key that marks a schedule as this API's: its value is the task queue its runs go to. */
const OWNER_MEMO = 'sluiceTaskQueue';

/**
 * The API's side of Temporal Schedules: one schedule per recurring run, whose action starts a
 * `pipelineRun` on Sluice's task queue. Temporal does all the timing (spec, overlap, catch-up,
 * pause, trigger, backfill); nothing here loops or sleeps.
 */
export class RunSchedules {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Creates the schedule; one that already exists (a repeated or reconciled create) is left as it is. */
  async create(def: ScheduleDefinition): Promise<void> {
    try {
      await this.client.schedule.create({
        scheduleId: def.scheduleId,
        spec: def.spec,
        action: {
          type: 'startWorkflow',
          workflowType: PIPELINE_RUN_WORKFLOW,
          // Temporal appends `-<scheduled time>` to this for each run.
          workflowId: def.scheduleId,
          taskQueue: this.taskQueue,
          args: [def.input],
          typedSearchAttributes: searchAttributesOf(def.input),
        },
        policies: { overlap: def.overlap, catchupWindow: def.catchupWindow },
        state: { paused: def.paused, note: def.paused ? PAUSE_NOTE : undefined },
        memo: { [OWNER_MEMO]: this.taskQueue },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) return;
      throw new Error(`could not create the schedule: ${describeError(err)}`, { cause: err });
    }
  }

  /** Whether the schedule is paused; undefined when there is no such schedule. */
  async paused(scheduleId: string): Promise<boolean | undefined> {
    return this.ifExists(async () => (await this.client.schedule.getHandle(scheduleId).describe()).state.paused);
  }

  /** Pauses or unpauses; false when there is no such schedule. */
  async setPaused(scheduleId: string, paused: boolean): Promise<boolean> {
    const handle = this.client.schedule.getHandle(scheduleId);
    return (await this.ifExists(() => (paused ? handle.pause(PAUSE_NOTE) : handle.unpause('enabled through the API')))) !== undefined;
  }

  /** The seconds (epoch) of the schedule's next timed starts, as many as Temporal lists; none when there is no such schedule. */
  async nextStartSeconds(scheduleId: string): Promise<number[]> {
    const times = await this.ifExists(async () => (await this.client.schedule.getHandle(scheduleId).describe()).info.nextActionTimes);
    return Array.isArray(times) ? times.map((t) => Math.floor(t.getTime() / 1000)) : [];
  }

  /** Starts a run now, under the schedule's own overlap policy; false when there is no such schedule. */
  async trigger(scheduleId: string, overlap: ScheduleOverlapPolicy): Promise<boolean> {
    return (await this.ifExists(() => this.client.schedule.getHandle(scheduleId).trigger(overlap))) !== undefined;
  }

  /**
   * Starts the runs the schedule would have started in [start, end], one after another
   * (BUFFER_ALL: a backfill is asked-for runs, so none is dropped, and still one runs at a time).
   * False when there is no such schedule.
   */
  async backfill(scheduleId: string, start: Date, end: Date): Promise<boolean> {
    const handle = this.client.schedule.getHandle(scheduleId);
    return (await this.ifExists(() => handle.backfill({ start, end, overlap: 'BUFFER_ALL' }))) !== undefined;
  }

  /** Deletes the schedule (its running and finished runs stay); false when there was none. */
  async delete(scheduleId: string): Promise<boolean> {
    return (await this.ifExists(() => this.client.schedule.getHandle(scheduleId).delete())) !== undefined;
  }

  /** Ids of the schedules this API created for its task queue (Temporal's list is eventually consistent). */
  async listOwnIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const summary of this.client.schedule.list()) {
      if (summary.memo?.[OWNER_MEMO] === this.taskQueue) ids.push(summary.scheduleId);
    }
    return ids;
  }

  /** Runs `fn`; undefined when the schedule does not exist. Resolves to true for a `void` result. */
  private async ifExists<T>(fn: () => Promise<T>): Promise<T | true | undefined> {
    try {
      const result = await fn();
      return result === undefined ? true : result;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }
}

const PAUSE_NOTE = 'disabled through the API (KFP mode DISABLE)';
