import { StoreInputError } from './errors';
import { parsePageSize } from './pagination';
import { rethrowBadCursor } from './pg-errors';
import { toTask, type TaskRow } from './rows';
import type { Queryable } from './transaction';
import type { Page, TaskChildren, TaskPageOptions, TaskRecord } from './types';
import type { TaskState } from '../ir/states';

/**
 * Reads of a run's task tree. Tasks are listed in tree order, (parent path, iteration index,
 * path), which is exactly the index `tasks_run_parent_idx` (migration 0002): a page, a parent's
 * children and a seek past a page token are each one index range, whatever the run's size.
 * A parent sorts before its children because its parent path is a prefix of theirs.
 */

/** The tree-order key; the same expressions as the index, so the planner uses it. */
const PARENT_KEY = "COALESCE(parent_task_path, '')";
const INDEX_KEY = 'COALESCE(iteration_index, -1)';
const TREE_ORDER = `${PARENT_KEY}, ${INDEX_KEY}, task_path`;

/** The last row of a page, and what the listing selected: a token is valid only for the same listing. */
interface TaskCursor {
  /** Sort key of the last row: parent key, iteration key, path. */
  k: [string, number, string];
  /** Run id and parent filter. */
  s: [string, string | null];
}

export async function listTasks(db: Queryable, runId: string): Promise<TaskRecord[]> {
  const { rows } = await db.query<TaskRow>(`SELECT * FROM tasks WHERE run_id = $1 ORDER BY ${TREE_ORDER}`, [runId]);
  return rows.map(toTask);
}

export async function listTaskPage(db: Queryable, runId: string, opts: TaskPageOptions): Promise<Page<TaskRecord>> {
  const pageSize = parsePageSize(opts.pageSize);
  const scope: TaskCursor['s'] = [runId, opts.parentTaskPath ?? null];
  const values: unknown[] = [runId];
  const param = (value: unknown) => `$${values.push(value)}`;
  const where = ['run_id = $1'];
  if (opts.parentTaskPath !== undefined) where.push(`${PARENT_KEY} = ${param(opts.parentTaskPath)}`);
  const count = opts.withTotal === false
    ? Promise.resolve({ rows: [{ total: 0 }] })
    : db.query<{ total: number }>(`SELECT count(*)::int AS total FROM tasks WHERE ${where.join(' AND ')}`, [...values]);
  if (opts.pageToken !== undefined) {
    const [parent, index, path] = decodeCursor(opts.pageToken, scope);
    where.push(`(${TREE_ORDER}) > (${param(parent)}::text, ${param(index)}::int, ${param(path)}::text)`);
  }
  const page = db
    .query<TaskRow>(`SELECT * FROM tasks WHERE ${where.join(' AND ')} ORDER BY ${TREE_ORDER} LIMIT ${pageSize + 1}`, values)
    .catch(rethrowBadCursor);
  const [{ rows }, { rows: totals }] = await Promise.all([page, count]);
  const items = rows.slice(0, pageSize).map(toTask);
  const last = items[items.length - 1];
  const nextPageToken = rows.length > pageSize ? encodeCursor({ k: [last.parentTaskPath ?? '', last.iterationIndex ?? -1, last.taskPath], s: scope }) : undefined;
  return { items, totalSize: totals[0].total, nextPageToken };
}

/**
 * The first `limit` children of each of `parentTaskPaths`, and how many each has: one index
 * range per parent (a LIMIT per parent, so a loop of 10,000 iterations costs `limit` rows), read
 * one row past the limit, so only a parent with more children than that is counted apart.
 */
export async function listTaskChildren(db: Queryable, runId: string, parentTaskPaths: readonly string[], limit: number): Promise<TaskChildren[]> {
  if (parentTaskPaths.length === 0) return [];
  const { rows } = await db.query<{ parent: string; task_path: string; task_id: string; pod_name: string | null }>(
    `SELECT p.parent, c.task_path, c.task_id, c.pod_name
     FROM unnest($2::text[]) AS p(parent)
     CROSS JOIN LATERAL (
       SELECT task_path, task_id, pod_name FROM tasks WHERE run_id = $1 AND ${PARENT_KEY} = p.parent
       ORDER BY ${INDEX_KEY}, task_path LIMIT $3
     ) AS c`,
    [runId, parentTaskPaths, limit + 1],
  );
  const byParent = new Map<string, TaskChildren>();
  for (const r of rows) {
    let entry = byParent.get(r.parent);
    if (!entry) byParent.set(r.parent, (entry = { parentTaskPath: r.parent, total: 0, children: [] }));
    entry.total++;
    if (entry.children.length < limit) entry.children.push({ taskPath: r.task_path, taskId: r.task_id, podName: r.pod_name ?? undefined });
  }
  const overflowing = [...byParent.values()].filter((c) => c.total > limit);
  if (overflowing.length > 0) {
    const { rows: counts } = await db.query<{ parent: string; total: number }>(
      `SELECT ${PARENT_KEY} AS parent, count(*)::int AS total FROM tasks
       WHERE run_id = $1 AND ${PARENT_KEY} = ANY($2::text[]) GROUP BY 1`,
      [runId, overflowing.map((c) => c.parentTaskPath)],
    );
    for (const c of counts) byParent.get(c.parent)!.total = c.total;
  }
  return [...byParent.values()];
}

export async function countTasksByState(db: Queryable, runId: string): Promise<Partial<Record<TaskState, number>>> {
  const { rows } = await db.query<{ state: TaskState; n: number }>(
    'SELECT state, count(*)::int AS n FROM tasks WHERE run_id = $1 GROUP BY state',
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

function encodeCursor(cursor: TaskCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string, scope: TaskCursor['s']): TaskCursor['k'] {
  let cursor: Partial<TaskCursor>;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TaskCursor>;
  } catch {
    throw new StoreInputError('pageToken', 'malformed page token');
  }
  const key = cursor?.k;
  if (!Array.isArray(key) || key.length !== 3 || typeof key[0] !== 'string' || typeof key[1] !== 'number' || typeof key[2] !== 'string') {
    throw new StoreInputError('pageToken', 'malformed page token');
  }
  if (JSON.stringify(cursor.s) !== JSON.stringify(scope)) {
    throw new StoreInputError('pageToken', 'page token was not issued for this listing of tasks and filter');
  }
  return key as TaskCursor['k'];
}
