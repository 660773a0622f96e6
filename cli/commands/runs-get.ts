import { orderTasks, parseTime, pipelineNameOf, stateOf, tasksOf, type Run, type TaskDetail } from '../api-types';
import { rowLabel, taskTree } from '../task-tree';
import { apiClientFor, println, useColor, type CliContext, type GlobalOptions } from '../context';
import { elapsed, formatDuration, formatState, formatTimestamp, formatValue, renderFields, renderTable } from '../format';
import { dashboardRunUrl, temporalRunUrl, temporalUiBase } from '../links';

/** `sluice runs get RUN`: the run's summary, its task table and the tasks' output parameters. */
export async function runsGetCommand(ctx: CliContext, globals: GlobalOptions, runId: string, opts: { json?: boolean }): Promise<void> {
  const client = apiClientFor(ctx, globals);
  const run = await client.getRun(runId);
  if (opts.json) {
    println(ctx.stdout, JSON.stringify(run, null, 2));
    return;
  }
  const color = useColor(ctx);
  const links = { dashboard: dashboardRunUrl(client.baseUrl, run.run_id), temporal: temporalRunUrl(temporalUiBase(ctx, globals), run.run_id) };
  for (const line of describeRun(run, new Date(), color, links)) println(ctx.stdout, line);
}

/** The text of `runs get` (pure, for a given `now`). */
export function describeRun(run: Run, now: Date, color: boolean, links: { dashboard: string; temporal: string }): string[] {
  const params = Object.entries(run.runtime_config?.parameters ?? {}).map(([k, v]) => `${k}=${formatValue(v)}`);
  const artifacts = Object.entries(run.runtime_config?.input_artifacts ?? {}).map(([k, a]) => `${k}=${(a.artifact_ids ?? [a.artifact_id]).join(',')}`);
  const fields: [string, string][] = [
    ['Run', run.run_id],
    ['Name', run.display_name ?? '-'],
    ['Pipeline', pipelineNameOf(run) ?? '-'],
    ['State', formatState(stateOf(run), color)],
    ['Retries', String(run.retry_count ?? 0)],
    ['Experiment', run.experiment_id ?? '-'],
    ['Created', formatTimestamp(parseTime(run.created_at))],
    ['Finished', formatTimestamp(parseTime(run.finished_at))],
    ['Duration', formatDuration(elapsed(parseTime(run.created_at), parseTime(run.finished_at), now))],
    ['Parameters', params.length ? params.join(', ') : '-'],
  ];
  if (artifacts.length) fields.push(['Input artifacts', artifacts.join(', ')]);
  if (run.error?.message) fields.push(['Error', run.error.message]);
  fields.push(['Dashboard', links.dashboard], ['Temporal UI', links.temporal]);

  const tasks = orderTasks(tasksOf(run));
  const rows = taskTree(tasks).map((row) => {
    if (row.kind === 'summary') return [rowLabel(row), { text: formatState(row.state, false), styled: formatState(row.state, color) }, '-', '-', '-', '-'];
    const t = row.task;
    return [
      rowLabel(row),
      { text: formatState(stateOf(t), false), styled: formatState(stateOf(t), color) },
      t.attempts === undefined ? '-' : String(t.attempts),
      formatTimestamp(parseTime(t.start_time)),
      formatDuration(elapsed(parseTime(t.start_time), parseTime(t.end_time), now)),
      t.pod_name ?? '-',
    ];
  });
  const outputs = outputParameterLines(tasks);
  const more = (run.run_details?.task_count ?? tasks.length) - tasks.length;
  return [
    ...renderFields(fields),
    '',
    ...(tasks.length ? renderTable(['TASK', 'STATE', 'ATTEMPTS', 'STARTED', 'DURATION', 'POD/PROCESS'], rows, { color }) : ['No tasks yet.']),
    ...(more > 0 ? [`… and ${more} more tasks (GET /runs/${run.run_id}/tasks pages them)`] : []),
    ...(outputs.length ? ['', 'Output parameters:', ...outputs] : []),
  ];
}

/** `  task.output = value` for every output parameter of `tasks`, in their order. */
export function outputParameterLines(tasks: TaskDetail[]): string[] {
  return tasks.flatMap((t) => Object.entries(t.output_parameters ?? {}).map(([k, v]) => `  ${t.display_name}.${k} = ${formatValue(v)}`));
}
