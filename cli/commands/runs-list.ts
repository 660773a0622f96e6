import type { RunState } from '../../ir/states';
import { parseTime, pipelineNameOf, stateOf } from '../api-types';
import { apiClientFor, println, useColor, type CliContext, type GlobalOptions } from '../context';
import { experimentIdOf } from '../experiment-ref';
import { elapsed, formatDuration, formatState, formatTimestamp, renderTable } from '../format';

export interface RunsListOptions {
  experiment?: string;
  state?: RunState;
  limit: number;
  json?: boolean;
}

/** `sluice runs list`: the newest runs first, as a table or (`--json`) as the API's Run objects. */
export async function runsListCommand(ctx: CliContext, globals: GlobalOptions, opts: RunsListOptions): Promise<void> {
  const client = apiClientFor(ctx, globals);
  const page = await client.listRuns({ pageSize: opts.limit, experimentId: await experimentIdOf(client, opts.experiment), state: opts.state });
  const runs = page.runs ?? [];
  if (opts.json) {
    println(ctx.stdout, JSON.stringify(runs, null, 2));
    return;
  }
  if (!runs.length) {
    println(ctx.stdout, 'No runs.');
    return;
  }
  const color = useColor(ctx);
  const now = new Date();
  const rows = runs.map((run) => [
    run.run_id,
    run.display_name ?? '',
    pipelineNameOf(run) ?? '-',
    { text: formatState(stateOf(run), false), styled: formatState(stateOf(run), color) },
    formatTimestamp(parseTime(run.created_at)),
    formatDuration(elapsed(parseTime(run.created_at), parseTime(run.finished_at), now)),
  ]);
  for (const line of renderTable(['RUN ID', 'NAME', 'PIPELINE', 'STATE', 'CREATED', 'DURATION'], rows, { color })) println(ctx.stdout, line);
  const total = page.total_size ?? runs.length;
  if (total > runs.length) println(ctx.stdout, `${runs.length} of ${total} runs; --limit shows more.`);
}
