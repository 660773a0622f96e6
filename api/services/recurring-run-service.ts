import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FieldPredicate, MetadataStore, Page, RecurringRunRecord } from '../../store/types';
import { Access } from '../auth/principal';
import { toApiPipelineSource } from '../converters/recurring-runs';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../errors';
import { EXACT_KEY, TEXT_KEY, TIME_KEY, parseFilter, type FilterKeys } from '../filter';
import { schedulePolicies, toScheduleSpec, type Trigger } from '../schedule-spec';
import { toListOptions } from '../schemas/common';
import { TriggerBody, type CreateRecurringRunBody, type ListRecurringRunsQuery } from '../schemas/recurring-runs';
import type { RunSchedules, ScheduleDefinition } from './run-schedules';
import { chooseTriggerSecond, maySendTrigger } from './trigger-second';
import type { RunService } from './run-service';

/**
 * Who rebuilds a recurring run's schedule from its row (a missing schedule, on any call or at
 * start-up): the API itself. The row holds only what its creator was allowed to name, checked at
 * creation, so the rebuild checks nothing more of namespaces (and a reader's GET can complete it).
 */
const SCHEDULE_KEEPER = new Access({ subject: 'the API (recurring runs\' schedules)', scope: 'write' });

/** What `GET /recurringruns` filters on besides `experiment_id` and `namespace` (in the store). */
const RECURRING_RUN_FILTER_KEYS: FilterKeys = {
  recurring_run_id: EXACT_KEY,
  display_name: TEXT_KEY,
  name: TEXT_KEY,
  description: TEXT_KEY,
  mode: EXACT_KEY,
  status: EXACT_KEY,
  experiment_id: EXACT_KEY,
  created_at: TIME_KEY,
  updated_at: TIME_KEY,
};

/** `status` (ENABLED, DISABLED) is how the API shows the stored `mode` (ENABLE, DISABLE). */
function onStoredFields(p: FieldPredicate): FieldPredicate {
  if (p.field !== 'status') return p;
  return { ...p, field: 'mode', values: p.values.map((v) => (v === 'ENABLED' ? 'ENABLE' : v === 'DISABLED' ? 'DISABLE' : v)) };
}

/** How many start seconds one `:trigger` claims before it gives up (each late by over half a second). */
const MAX_TRIGGER_CLAIMS = 10;

/**
 * Recurring runs: a `recurring_runs` row (what the API lists) and a Temporal Schedule of the same
 * id (what starts the runs). The row is the intent and is always written first; the schedule is
 * then brought to it (`ensureSchedule`). So a crash between the two leaves a row whose schedule is
 * missing or stale, which the next call on it or `reconcile()` completes, never a schedule without
 * a row (except after a delete, which removes the row first and whose leftover schedule
 * `reconcile()` deletes). The schedule's id is the row's, so a repeated create cannot make two.
 */
export class RecurringRunService {
  constructor(
    private readonly store: MetadataStore,
    private readonly runs: RunService,
    private readonly schedules: RunSchedules,
  ) {}

  /**
   * Validates everything (trigger, policies, and the run fields exactly as `POST /runs` does,
   * with the caller's `access`: write access to the experiment's namespace, read access to the
   * pipeline, input artifacts it reaches) before writing anything; then records the row and
   * creates the schedule. The recurring run is in its experiment's namespace, as its runs are.
   */
  async create(body: CreateRecurringRunBody, access: Access): Promise<RecurringRunRecord> {
    const recurringRunId = randomUUID();
    const createdAt = new Date();
    const definition = await this.definitionOf(body, access, recurringRunId, createdAt);
    const namespace = (await this.store.getExperiment(definition.input.experimentId))?.namespace ?? '';
    if (body.namespace !== undefined && body.namespace !== namespace) {
      throw InvalidArgumentError.of('namespace', `a recurring run is in its experiment's namespace ("${namespace}"), not "${body.namespace}"`);
    }
    const row = await this.store.createRecurringRun({
      recurringRunId,
      displayName: body.display_name ?? definition.input.runName,
      description: body.description ?? '',
      // The version resolved now (the latest, when none was named), so every run runs the same one.
      ...(definition.input.pipelineId
        ? { pipelineId: definition.input.pipelineId, pipelineVersionId: definition.input.pipelineVersionId }
        : { pipelineSpec: body.pipeline_spec }),
      runtimeConfig: body.runtime_config,
      maxConcurrency: body.max_concurrency,
      trigger: triggerJson(body.trigger),
      mode: body.mode,
      noCatchup: body.no_catchup,
      experimentId: definition.input.experimentId,
      namespace,
      createdAt,
    });
    await this.schedules.create(definition);
    return row;
  }

  /** The row, after bringing its schedule to it (creating a missing one, pausing or unpausing). */
  async get(recurringRunId: string): Promise<RecurringRunRecord> {
    const row = await this.row(recurringRunId);
    await this.ensureSchedule(row);
    return row;
  }

  /** `namespaces`: only recurring runs in these (undefined: all). */
  list(query: ListRecurringRunsQuery, namespaces: readonly string[] | undefined): Promise<Page<RecurringRunRecord>> {
    const predicates = parseFilter(query.filter, RECURRING_RUN_FILTER_KEYS).map(onStoredFields);
    return this.store.listRecurringRuns({ experimentId: query.experiment_id, namespaces }, { ...toListOptions(query), predicates });
  }

  /** `:enable` / `:disable`: records the mode, then unpauses or pauses the schedule. */
  async setMode(recurringRunId: string, mode: RecurringRunRecord['mode']): Promise<void> {
    if (!(await this.store.setRecurringRunMode(recurringRunId, mode, new Date()))) throw new NotFoundError('recurring run', recurringRunId);
    await this.ensureSchedule(await this.row(recurringRunId));
  }

  /**
   * Sluice: starts one run now, unless a run is active (the schedule's overlap policy decides, as
   * for a timed start). Temporal names a scheduled workflow after its start time to the second,
   * and the run id is that workflow id: two starts of a schedule in one second would share an id.
   * So each trigger claims a second of its own in the store (distinct across API replicas, never
   * one of the schedule's next timed starts), waits for it to begin, and triggers within it; a
   * trigger that could not be sent early enough in its second claims a later one.
   */
  async trigger(recurringRunId: string): Promise<void> {
    const row = await this.row(recurringRunId);
    await this.ensureSchedule(row);
    const overlap = schedulePolicies(row.maxConcurrency, row.noCatchup).overlap;
    for (let claims = 1; ; claims++) {
      const timedStarts = await this.schedules.nextStartSeconds(recurringRunId);
      const second = await this.store.claimTriggerSecond(recurringRunId, (last) => chooseTriggerSecond(last, Math.floor(Date.now() / 1000), timedStarts));
      if (second === undefined) throw new NotFoundError('recurring run', recurringRunId);
      // A timer may wake a little before the wall clock's second turns.
      for (let wait = second * 1000 - Date.now(); wait > 0; wait = second * 1000 - Date.now()) await sleep(wait);
      if (maySendTrigger(second, Date.now())) {
        await this.schedules.trigger(recurringRunId, overlap);
        return;
      }
      // A server too slow to send within the window, claim after claim, is answered rather than waited on.
      if (claims === MAX_TRIGGER_CLAIMS) throw new UnavailableError(`recurring run "${recurringRunId}" could not be triggered: ${claims} start seconds passed before the trigger could be sent in one; retry shortly`);
    }
  }

  /** Sluice: starts the runs the trigger would have started in [start, end], one at a time. */
  async backfill(recurringRunId: string, start: Date, end: Date): Promise<void> {
    await this.ensureSchedule(await this.row(recurringRunId));
    await this.schedules.backfill(recurringRunId, start, end);
  }

  /**
   * Deletes the row, then the schedule; the runs stay (KFP keeps them too). A schedule left by an
   * earlier delete that stopped halfway is deleted too, so repeating a delete finishes it.
   * @throws NotFoundError when neither existed.
   */
  async delete(recurringRunId: string): Promise<void> {
    const hadRow = await this.store.deleteRecurringRun(recurringRunId);
    const hadSchedule = await this.schedules.delete(recurringRunId);
    if (!hadRow && !hadSchedule) throw new NotFoundError('recurring run', recurringRunId);
  }

  /** Brings the schedules of an experiment's recurring runs to their rows: archiving it disabled them (in the store), so their schedules pause. */
  async syncExperiment(experimentId: string): Promise<void> {
    let pageToken: string | undefined;
    do {
      const page = await this.store.listRecurringRuns({ experimentId }, { pageSize: 500, pageToken });
      for (const row of page.items) await this.ensureSchedule(row);
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /**
   * Brings Temporal to the rows: every row gets its schedule, paused as its mode says, and every
   * schedule of this API's task queue without a row is deleted. Run at start-up; safe at any time.
   * A row that cannot be brought (its pipeline version deleted, say) is reported in `failed` and
   * does not stop the others. Returns what it did.
   */
  async reconcile(): Promise<{ created: string[]; deleted: string[]; failed: { recurringRunId: string; message: string }[] }> {
    const created: string[] = [];
    const failed: { recurringRunId: string; message: string }[] = [];
    const known = new Set<string>();
    let pageToken: string | undefined;
    do {
      const page = await this.store.listRecurringRuns({}, { pageSize: 500, pageToken });
      for (const row of page.items) {
        known.add(row.recurringRunId);
        try {
          if (await this.ensureSchedule(row)) created.push(row.recurringRunId);
        } catch (err) {
          failed.push({ recurringRunId: row.recurringRunId, message: (err as Error).message });
        }
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    const deleted: string[] = [];
    for (const id of await this.schedules.listOwnIds()) {
      // Re-read: the row may have been created since the page was read.
      if (!known.has(id) && !(await this.store.getRecurringRun(id)) && (await this.schedules.delete(id))) deleted.push(id);
    }
    return { created, deleted, failed };
  }

  /** Creates the row's missing schedule, or pauses/unpauses it to match the mode. Resolves true when it created one. */
  private async ensureSchedule(row: RecurringRunRecord): Promise<boolean> {
    const paused = await this.schedules.paused(row.recurringRunId);
    if (paused === undefined) {
      await this.schedules.create(await this.definitionOf(requestOf(row), SCHEDULE_KEEPER, row.recurringRunId, row.createdAt, true));
      return true;
    }
    const wanted = row.mode === 'DISABLE';
    if (paused !== wanted) await this.schedules.setPaused(row.recurringRunId, wanted);
    return false;
  }

  /** `existing`: rebuilt from its row, which may be in an experiment archived since (see `RunService.prepare`). */
  private async definitionOf(body: CreateRecurringRunBody, access: Access, recurringRunId: string, createdAt: Date, existing = false): Promise<ScheduleDefinition> {
    const spec = toScheduleSpec(toTrigger(body.trigger), createdAt);
    const { overlap, catchupWindow } = schedulePolicies(body.max_concurrency, body.no_catchup);
    const input = { ...(await this.runs.prepare(body, access, '', '', existing)), recurringRunId };
    return { scheduleId: recurringRunId, spec, overlap, catchupWindow, input, paused: body.mode === 'DISABLE' };
  }

  private async row(recurringRunId: string): Promise<RecurringRunRecord> {
    const row = await this.store.getRecurringRun(recurringRunId);
    if (!row) throw new NotFoundError('recurring run', recurringRunId);
    return row;
  }
}

function toTrigger(t: TriggerBody): Trigger {
  if (t.cron_schedule) {
    const c = t.cron_schedule;
    return { cron: { cron: c.cron, startTime: c.start_time, endTime: c.end_time, timeZone: c.time_zone } };
  }
  // The body schema guarantees exactly one of the two.
  const p = t.periodic_schedule as NonNullable<TriggerBody['periodic_schedule']>;
  return { periodic: { intervalSecond: p.interval_second, startTime: p.start_time, endTime: p.end_time } };
}

/** The trigger as KFP's JSON (times RFC3339, `interval_second` as int64's string), for the row and responses. */
function triggerJson(t: TriggerBody): Record<string, unknown> {
  const time = (d: Date | undefined) => d?.toISOString();
  if (t.cron_schedule) {
    const c = t.cron_schedule;
    return { cron_schedule: { cron: c.cron, start_time: time(c.start_time), end_time: time(c.end_time), time_zone: c.time_zone } };
  }
  const p = t.periodic_schedule as NonNullable<TriggerBody['periodic_schedule']>;
  return { periodic_schedule: { interval_second: String(p.interval_second), start_time: time(p.start_time), end_time: time(p.end_time) } };
}

/** A stored recurring run as the request that would create it again (its version pinned). */
function requestOf(row: RecurringRunRecord): CreateRecurringRunBody {
  return {
    display_name: row.displayName,
    description: row.description,
    experiment_id: row.experimentId,
    ...toApiPipelineSource(row),
    runtime_config: row.runtimeConfig as CreateRecurringRunBody['runtime_config'],
    trigger: TriggerBody.parse(row.trigger),
    max_concurrency: row.maxConcurrency,
    mode: row.mode,
    no_catchup: row.noCatchup,
    namespace: row.namespace,
  } as CreateRecurringRunBody;
}
