import type { RecurringRunMethod } from '../api-client';
import { parseTime, pipelineSpecOf, stateOf, type Trigger } from '../api-types';
import { apiClientFor, println, useColor, type CliContext, type GlobalOptions } from '../context';
import { experimentIdOf } from '../experiment-ref';
import { UsageError } from '../exit-codes';
import { formatState, formatTimestamp, renderFields, renderTable } from '../format';
import { loadPipelineFile } from '../pipeline-file';

export interface ScheduleCreateOptions {
  cron?: string;
  every?: number;
  start?: string;
  end?: string;
  timeZone?: string;
  param: Record<string, string>;
  name?: string;
  experiment?: string;
  noCatchup?: boolean;
  paused?: boolean;
  json?: boolean;
}

/**
 * `sluice schedule create FILE`: a recurring run of the pipeline (a Temporal Schedule), on a cron
 * expression (KFP's 6 fields with seconds, or the usual 5) or every N seconds.
 */
export async function scheduleCreateCommand(ctx: CliContext, globals: GlobalOptions, file: string, opts: ScheduleCreateOptions): Promise<void> {
  if ((opts.cron === undefined) === (opts.every === undefined)) throw new UsageError('give exactly one of --cron and --every');
  if (opts.timeZone !== undefined && opts.cron === undefined) throw new UsageError('--time-zone applies to --cron only');
  const window = { start_time: opts.start && rfc3339('--start', opts.start), end_time: opts.end && rfc3339('--end', opts.end) };
  const trigger: Trigger =
    opts.cron !== undefined
      ? { cron_schedule: { cron: opts.cron, ...window, time_zone: opts.timeZone } }
      : { periodic_schedule: { interval_second: opts.every as number, ...window } };
  const pipelineSpec = loadPipelineFile(file);
  const client = apiClientFor(ctx, globals);
  const rr = await client.createRecurringRun({
    display_name: opts.name ?? pipelineSpecOf(pipelineSpec).pipelineInfo.name,
    experiment_id: await experimentIdOf(client, opts.experiment),
    pipeline_spec: pipelineSpec,
    runtime_config: { parameters: opts.param },
    trigger,
    mode: opts.paused ? 'DISABLE' : 'ENABLE',
    no_catchup: opts.noCatchup ?? false,
  });
  if (opts.json) {
    println(ctx.stdout, JSON.stringify(rr, null, 2));
    return;
  }
  println(ctx.stdout, `Recurring run ${rr.recurring_run_id} created (${rr.status}): ${describeTrigger(rr.trigger)}`);
  println(ctx.stdout, `  Its runs: sluice schedule get ${rr.recurring_run_id}`);
}

/** `sluice schedule list`: the newest recurring runs first. */
export async function scheduleListCommand(ctx: CliContext, globals: GlobalOptions, opts: { experiment?: string; limit: number; json?: boolean }): Promise<void> {
  const client = apiClientFor(ctx, globals);
  const page = await client.listRecurringRuns({ pageSize: opts.limit, experimentId: await experimentIdOf(client, opts.experiment) });
  const list = page.recurringRuns ?? [];
  if (opts.json) {
    println(ctx.stdout, JSON.stringify(list, null, 2));
    return;
  }
  if (!list.length) {
    println(ctx.stdout, 'No recurring runs.');
    return;
  }
  const rows = list.map((rr) => [rr.recurring_run_id, rr.display_name ?? '', rr.status ?? '', describeTrigger(rr.trigger), formatTimestamp(parseTime(rr.created_at))]);
  for (const line of renderTable(['RECURRING RUN ID', 'NAME', 'STATUS', 'TRIGGER', 'CREATED'], rows, { color: useColor(ctx) })) println(ctx.stdout, line);
  const total = page.total_size ?? list.length;
  if (total > list.length) println(ctx.stdout, `${list.length} of ${total} recurring runs; --limit shows more.`);
}

/** `sluice schedule get ID`: the recurring run and its latest runs. */
export async function scheduleGetCommand(ctx: CliContext, globals: GlobalOptions, recurringRunId: string, opts: { json?: boolean }): Promise<void> {
  const client = apiClientFor(ctx, globals);
  const rr = await client.getRecurringRun(recurringRunId);
  const runs = (await client.listRuns({ recurringRunId, pageSize: RECENT_RUNS })).runs ?? [];
  if (opts.json) {
    println(ctx.stdout, JSON.stringify({ ...rr, runs }, null, 2));
    return;
  }
  const fields: [string, string][] = [
    ['Recurring run', rr.recurring_run_id],
    ['Name', rr.display_name ?? ''],
    ['Status', rr.status ?? ''],
    ['Trigger', describeTrigger(rr.trigger)],
    ['Catch-up', rr.no_catchup ? 'no (only the latest missed run)' : 'yes (every missed run)'],
    ['Experiment', rr.experiment_id ?? ''],
    ['Created', formatTimestamp(parseTime(rr.created_at))],
  ];
  for (const line of renderFields(fields)) println(ctx.stdout, line);
  println(ctx.stdout);
  if (!runs.length) {
    println(ctx.stdout, 'No runs yet.');
    return;
  }
  const color = useColor(ctx);
  const rows = runs.map((run) => [
    run.run_id,
    { text: formatState(stateOf(run), false), styled: formatState(stateOf(run), color) },
    formatTimestamp(parseTime(run.scheduled_at)),
  ]);
  for (const line of renderTable(['RUN ID', 'STATE', 'SCHEDULED'], rows, { color })) println(ctx.stdout, line);
}

/** What each one-call command asks for and says when it is done. */
const METHODS: Record<Exclude<RecurringRunMethod, 'backfill'> | 'delete', (id: string) => string> = {
  disable: (id) => `Recurring run ${id} paused: it starts no runs until \`sluice schedule resume ${id}\`.`,
  enable: (id) => `Recurring run ${id} resumed.`,
  trigger: (id) => `Recurring run ${id} triggered: a run starts now (or after the active one, as its schedule allows).`,
  delete: (id) => `Recurring run ${id} deleted; its runs stay.`,
};

/** `sluice schedule pause|resume|trigger|delete ID`. */
export async function scheduleActionCommand(ctx: CliContext, globals: GlobalOptions, recurringRunId: string, action: keyof typeof METHODS): Promise<void> {
  const client = apiClientFor(ctx, globals);
  if (action === 'delete') await client.deleteRecurringRun(recurringRunId);
  else await client.recurringRunMethod(recurringRunId, action);
  println(ctx.stdout, METHODS[action](recurringRunId));
}

/** `sluice schedule backfill ID --start T --end T`: the runs the trigger would have started in that range. */
export async function scheduleBackfillCommand(ctx: CliContext, globals: GlobalOptions, recurringRunId: string, opts: { start: string; end: string }): Promise<void> {
  const range = { start_time: rfc3339('--start', opts.start), end_time: rfc3339('--end', opts.end) };
  await apiClientFor(ctx, globals).recurringRunMethod(recurringRunId, 'backfill', range);
  println(ctx.stdout, `Recurring run ${recurringRunId}: backfilling ${range.start_time} to ${range.end_time}, one run at a time.`);
}

const RECENT_RUNS = 10;

/** A time the user typed (RFC3339, or anything `Date` reads) as RFC3339. */
function rfc3339(flag: string, text: string): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${text}" is not a time; use RFC3339, e.g. 2026-01-31T09:00:00Z`);
  return new Date(ms).toISOString();
}

function describeTrigger(trigger: Trigger | undefined): string {
  if (trigger?.cron_schedule) return `cron "${trigger.cron_schedule.cron}"${trigger.cron_schedule.time_zone ? ` (${trigger.cron_schedule.time_zone})` : ''}`;
  if (trigger?.periodic_schedule) return `every ${trigger.periodic_schedule.interval_second}s`;
  return '-';
}
