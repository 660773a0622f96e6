import type { ApiExperiment } from '../../api/api-types';
import { parseTime } from '../api-types';
import { apiClientFor, println, useColor, type CliContext, type GlobalOptions } from '../context';
import { resolveExperiment } from '../experiment-ref';
import { UsageError } from '../exit-codes';
import { formatTimestamp, renderFields, renderTable } from '../format';

/** `sluice experiments create NAME`: a new experiment (a name already taken is a 409, exit 2). */
export async function experimentsCreateCommand(ctx: CliContext, globals: GlobalOptions, name: string, opts: { description?: string; json?: boolean }): Promise<void> {
  if (!name.trim()) throw new UsageError('<name>: an experiment name must not be blank');
  const experiment = await apiClientFor(ctx, globals).createExperiment({ display_name: name, description: opts.description });
  if (opts.json) return println(ctx.stdout, JSON.stringify(experiment, null, 2));
  println(ctx.stdout, `Experiment ${experiment.experiment_id} created: ${experiment.display_name}`);
}

/** `sluice experiments list`: the newest first. */
export async function experimentsListCommand(ctx: CliContext, globals: GlobalOptions, opts: { limit: number; json?: boolean }): Promise<void> {
  const page = await apiClientFor(ctx, globals).listExperiments({ pageSize: opts.limit });
  const list = page.experiments ?? [];
  if (opts.json) return println(ctx.stdout, JSON.stringify(list, null, 2));
  const rows = list.map((e) => [e.experiment_id, e.display_name, e.storage_state, formatTimestamp(parseTime(e.created_at)), formatTimestamp(parseTime(e.last_run_created_at))]);
  for (const line of renderTable(['EXPERIMENT ID', 'NAME', 'STORAGE', 'CREATED', 'LAST RUN'], rows, { color: useColor(ctx) })) println(ctx.stdout, line);
  const total = page.total_size ?? list.length;
  if (total > list.length) println(ctx.stdout, `${list.length} of ${total} experiments; --limit shows more.`);
}

/** `sluice experiments get ID|NAME`. */
export async function experimentsGetCommand(ctx: CliContext, globals: GlobalOptions, ref: string, opts: { json?: boolean }): Promise<void> {
  const { created: _created, ...experiment } = await resolveExperiment(apiClientFor(ctx, globals), ref, { argument: 'experiment' });
  if (opts.json) return println(ctx.stdout, JSON.stringify(experiment, null, 2));
  for (const line of renderFields(describe(experiment))) println(ctx.stdout, line);
}

/** What each one-call command does and says when it is done. */
const ACTIONS = {
  archive: (e: ApiExperiment) => `Experiment ${e.experiment_id} (${e.display_name}) archived, with its runs.`,
  unarchive: (e: ApiExperiment) => `Experiment ${e.experiment_id} (${e.display_name}) unarchived; its runs stay archived until each is unarchived.`,
  delete: (e: ApiExperiment) => `Experiment ${e.experiment_id} (${e.display_name}) deleted; its runs stay.`,
};

/** `sluice experiments archive|unarchive|delete ID|NAME`. */
export async function experimentsActionCommand(ctx: CliContext, globals: GlobalOptions, ref: string, action: keyof typeof ACTIONS): Promise<void> {
  const client = apiClientFor(ctx, globals);
  const experiment = await resolveExperiment(client, ref, { argument: 'experiment' });
  if (action === 'delete') await client.deleteExperiment(experiment.experiment_id);
  else await client.experimentMethod(experiment.experiment_id, action);
  println(ctx.stdout, ACTIONS[action](experiment));
}

function describe(e: ApiExperiment): [string, string][] {
  return [
    ['Experiment', e.experiment_id],
    ['Name', e.display_name],
    ['Description', e.description || '-'],
    ['Storage', e.storage_state],
    ...(e.namespace ? [['Namespace', e.namespace] as [string, string]] : []),
    ['Created', formatTimestamp(parseTime(e.created_at))],
    ['Last run', formatTimestamp(parseTime(e.last_run_created_at))],
  ];
}
