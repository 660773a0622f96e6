import { parseTime } from '../api-types';
import type { CacheFilter } from '../api-client';
import { apiClientFor, println, useColor, type CliContext, type GlobalOptions } from '../context';
import { formatTimestamp, renderTable } from '../format';

export interface CacheListOptions {
  pipeline?: string;
  namespace?: string;
  limit: number;
  json?: boolean;
}

/** `sluice cache list`: the task cache's entries, newest first: which run and task each key reuses. */
export async function cacheListCommand(ctx: CliContext, globals: GlobalOptions, opts: CacheListOptions): Promise<void> {
  const page = await apiClientFor(ctx, globals).listCacheEntries({ pipelineName: opts.pipeline, namespace: opts.namespace, pageSize: opts.limit });
  if (opts.json) {
    println(ctx.stdout, JSON.stringify(page.entries, null, 2));
    return;
  }
  if (!page.entries.length) {
    println(ctx.stdout, 'No cache entries.');
    return;
  }
  const rows = page.entries.map((e) => [e.pipeline_name, e.fingerprint.slice(0, 12), e.run_id, e.task_path, formatTimestamp(parseTime(e.create_time))]);
  for (const line of renderTable(['PIPELINE', 'FINGERPRINT', 'RUN ID', 'TASK', 'CREATED'], rows, { color: useColor(ctx) })) println(ctx.stdout, line);
  if (page.total_size > page.entries.length) println(ctx.stdout, `${page.entries.length} of ${page.total_size} entries; --limit shows more.`);
}

/**
 * `sluice cache clear`: deletes entries (all the token's namespaces hold, or a pipeline's, a
 * namespace's, or one fingerprint's; the token needs write scope). Safe while
 * runs use the cache: artifacts stay, so a task just served from an entry keeps its outputs.
 */
export async function cacheClearCommand(ctx: CliContext, globals: GlobalOptions, opts: { pipeline?: string; fingerprint?: string; namespace?: string }): Promise<void> {
  const filter: CacheFilter = { pipelineName: opts.pipeline, fingerprint: opts.fingerprint, namespace: opts.namespace };
  const { deleted_count } = await apiClientFor(ctx, globals).clearCacheEntries(filter);
  println(ctx.stdout, `Deleted ${deleted_count} cache ${deleted_count === 1 ? 'entry' : 'entries'}; tasks that start from now on run again.`);
}
