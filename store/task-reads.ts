import { StoreInputError } from './errors';
import { parsePageSize } from './pagination';
import { rethrowBadCursor } from './pg-errors';
import { toTask, toTaskAttempt, type TaskAttemptRow, type TaskRow } from './rows';
import { prepared, type Queryable } from './transaction';
import type { Page, TaskAttemptRecord, TaskChildren, TaskPageOptions, TaskPageViews, TaskRecord, TaskSummary } from './types';
import { TASK_KINDS, runsAttempts, type TaskState } from '../ir/states';

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

/**
 * The rows a page of `opts` is: the listing's conditions (`filter`, which a count shares; the
 * run id is `$1`), the seek past the page token, and the page's size.
 */
function pageSelection(runId: string, opts: TaskPageOptions) {
  const pageSize = parsePageSize(opts.pageSize);
  const scope: TaskCursor['s'] = [runId, opts.parentTaskPath ?? null];
  const values: unknown[] = [runId];
  const param = (value: unknown) => `$${values.push(value)}`;
  const filter = ['run_id = $1'];
  if (opts.parentTaskPath !== undefined) filter.push(`${PARENT_KEY} = ${param(opts.parentTaskPath)}`);
  const filterValues = [...values];
  const where = [...filter];
  if (opts.pageToken !== undefined) {
    const [parent, index, path] = decodeCursor(opts.pageToken, scope);
    where.push(`(${TREE_ORDER}) > (${param(parent)}::text, ${param(index)}::int, ${param(path)}::text)`);
  }
  return { pageSize, scope, filter: filter.join(' AND '), filterValues, where: where.join(' AND '), values };
}

export async function listTaskPage(db: Queryable, runId: string, opts: TaskPageOptions): Promise<Page<TaskRecord>> {
  const { pageSize, scope, filter, filterValues, where, values } = pageSelection(runId, opts);
  const count = opts.withTotal === false
    ? Promise.resolve({ rows: [{ total: 0 }] })
    : db.query<{ total: number }>(`SELECT count(*)::int AS total FROM tasks WHERE ${filter}`, filterValues);
  const page = db
    .query<TaskRow>(`SELECT * FROM tasks WHERE ${where} ORDER BY ${TREE_ORDER} LIMIT ${pageSize + 1}`, values)
    .catch(rethrowBadCursor);
  const [{ rows }, { rows: totals }] = await Promise.all([page, count]);
  const items = rows.slice(0, pageSize).map(toTask);
  const last = items[items.length - 1];
  const nextPageToken = rows.length > pageSize ? encodeCursor({ k: [last.parentTaskPath ?? '', last.iterationIndex ?? -1, last.taskPath], s: scope }) : undefined;
  return { items, totalSize: totals[0].total, nextPageToken };
}

const STEP_KINDS = TASK_KINDS.filter(runsAttempts);
const DAG_KINDS = TASK_KINDS.filter((kind) => !runsAttempts(kind));

/**
 * The attempts of the steps and the first `limit` children of the DAG instances (with how many
 * each has) on the page `opts` selects, read beside the page rather than after it: each query
 * selects the page again (an index range), so the reads run at once on the pool's connections.
 * `covers` names the page's tasks the answer is about; a page read at another moment can differ
 * (tasks added in between), and the caller asks `listTaskAttempts` and `listTaskChildren` for
 * what it lacks. A loop's children are counted beside the rest, any other parent with more than
 * `limit` children after (a DAG that wide is rare).
 */
export async function listTaskPageViews(db: Queryable, runId: string, opts: TaskPageOptions, limit: number): Promise<TaskPageViews> {
  const { pageSize, where, values } = pageSelection(runId, opts);
  const kinds = `$${values.length + 1}::text[]`;
  const page = `WITH page AS (SELECT task_path, kind FROM tasks WHERE ${where} ORDER BY ${TREE_ORDER} LIMIT ${pageSize})`;
  const [attempts, children, loopCounts] = await Promise.all([
    db.query<{ page_task: string } & (TaskAttemptRow | { attempt: null })>(
      `${page} SELECT p.task_path AS page_task, a.* FROM page p
       LEFT JOIN task_attempts a ON a.run_id = $1 AND a.task_path = p.task_path
       WHERE p.kind = ANY(${kinds}) ORDER BY p.task_path, a.attempt`,
      [...values, STEP_KINDS],
    ),
    db.query<ChildRow>(
      `${page} SELECT p.task_path AS parent, c.task_path, c.task_id, c.pod_name FROM page p
       LEFT JOIN LATERAL (${firstChildren('p.task_path', limit)}) AS c ON true
       WHERE p.kind = ANY(${kinds})`,
      [...values, DAG_KINDS],
    ),
    db.query<ChildCountRow>(
      `${page} SELECT p.task_path AS parent, c.state, c.n FROM page p
       CROSS JOIN LATERAL (SELECT state, count(*)::int AS n FROM tasks WHERE run_id = $1 AND ${PARENT_KEY} = p.task_path GROUP BY state) AS c
       WHERE p.kind = 'LOOP'`,
      values,
    ),
  ]).catch(rethrowBadCursor);
  const byParent = childrenByParent(children.rows, limit);
  applyChildCounts(byParent, loopCounts.rows, limit);
  await countOverflowing(db, runId, byParent, limit);
  return {
    covers: new Set([...attempts.rows.map((r) => r.page_task), ...byParent.keys()]),
    attempts: attempts.rows.filter((r): r is TaskAttemptRow & { page_task: string } => r.attempt !== null).map(toTaskAttempt),
    children: [...byParent.values()].filter((c) => c.total > 0),
  };
}

/**
 * The first `limit` children of each of `parentTaskPaths`, and how many each has: one index
 * range per parent (a LIMIT per parent, so a loop of 10,000 iterations costs `limit` rows), read
 * one row past the limit, so only a parent with more children than that is counted apart.
 */
export async function listTaskChildren(db: Queryable, runId: string, parentTaskPaths: readonly string[], limit: number): Promise<TaskChildren[]> {
  if (parentTaskPaths.length === 0) return [];
  const { rows } = await db.query<ChildRow>(
    `SELECT p.parent, c.task_path, c.task_id, c.pod_name
     FROM unnest($2::text[]) AS p(parent)
     CROSS JOIN LATERAL (${firstChildren('p.parent', limit)}) AS c`,
    [runId, parentTaskPaths],
  );
  const byParent = childrenByParent(rows, limit);
  await countOverflowing(db, runId, byParent, limit);
  return [...byParent.values()];
}

/**
 * The run's tasks breadth first (a recursive CTE: each DAG instance's first `childLimit`
 * children, one index range each, and one past the limit to know there are more), cut at `size`
 * rows, which PostgreSQL evaluates only as far as that `LIMIT` pulls: a 10,000-iteration loop
 * costs its first iterations, not all of them. The tasks come back in tree order. Their
 * children are the rows read with them, except for the parents whose children the cut reached,
 * which are read apart, as are the attempts of the steps.
 */
export async function summariseTasks(db: Queryable, runId: string, size: number, childLimit: number): Promise<TaskSummary> {
  const limit = parsePageSize(size);
  const firstOf = (parentRef: string) =>
    `SELECT t.*, row_number() OVER (ORDER BY ${INDEX_KEY}, task_path)::int AS rn FROM tasks t
     WHERE run_id = $1 AND ${PARENT_KEY} = ${parentRef} ORDER BY ${INDEX_KEY}, task_path LIMIT ${childLimit + 1}`;
  const { rows } = await db.query<TaskRow & { rn: number; depth: number }>(
    `WITH RECURSIVE tree AS (
       (SELECT f.*, 0 AS depth FROM (${firstOf("''")}) AS f)
       UNION ALL
       SELECT c.*, p.depth + 1 FROM tree p CROSS JOIN LATERAL (${firstOf('p.task_path')}) AS c
       WHERE p.kind = ANY($2::text[]) AND p.rn <= ${childLimit}
     )
     SELECT * FROM (SELECT * FROM tree LIMIT ${limit}) AS cut ORDER BY ${TREE_ORDER}`,
    [runId, DAG_KINDS],
  );
  const tasks = rows.filter((r) => r.rn <= childLimit);
  // Rows come a depth at a time: when the cut was reached, parents on the last depth but one
  // may have lost children to it, and those on the last have had none read.
  const cut = rows.length === limit;
  const lastDepth = Math.max(0, ...rows.map((r) => r.depth));
  const dags = tasks.filter((t) => !runsAttempts(t.kind));
  const isRead = (t: { depth: number }) => !cut || t.depth < lastDepth - 1;
  const complete = new Set(dags.filter(isRead).map((t) => t.task_path));
  const unread = dags.filter((t) => !isRead(t)).map((t) => t.task_path);
  // Each parent read whole, then its children among the rows (a parent without any keeps an empty entry).
  const childRows = rows.filter((r) => r.parent_task_path !== null && complete.has(r.parent_task_path));
  const read = childrenByParent(
    [...[...complete].map((parent) => ({ parent, task_path: null, task_id: null, pod_name: null })), ...childRows.map((r) => ({ ...r, parent: r.parent_task_path as string }))],
    childLimit,
  );
  const [attempts, unreadChildren] = await Promise.all([
    listTaskAttempts(db, runId, tasks.filter((t) => runsAttempts(t.kind)).map((t) => t.task_path)),
    listTaskChildren(db, runId, unread, childLimit),
    countOverflowing(db, runId, read, childLimit),
  ]);
  return {
    tasks: tasks.map(toTask),
    attempts,
    children: [...read.values(), ...unreadChildren].filter((c) => c.total > 0),
  };
}

/** Attempts of the run, or of the named task(s), ordered by task path, then attempt. */
export async function listTaskAttempts(db: Queryable, runId: string, taskPath?: string | readonly string[]): Promise<TaskAttemptRecord[]> {
  if (Array.isArray(taskPath) && taskPath.length === 0) return [];
  // One task's, before each launch: its own prepared statement (the others' plans depend on
  // how many paths they get).
  const { rows } = typeof taskPath === 'string'
    ? await db.query<TaskAttemptRow>(prepared('SELECT * FROM task_attempts WHERE run_id = $1 AND task_path = $2 ORDER BY attempt', [runId, taskPath]))
    : await db.query<TaskAttemptRow>(
      `SELECT * FROM task_attempts WHERE run_id = $1 AND ($2::text[] IS NULL OR task_path = ANY($2))
       ORDER BY task_path, attempt`,
      [runId, taskPath ?? null],
    );
  return rows.map(toTaskAttempt);
}

/** A child of `parent` as the children's reads return it; null columns: a parent without children (a `LEFT JOIN`). */
interface ChildRow {
  parent: string;
  task_path: string | null;
  task_id: string | null;
  pod_name: string | null;
}

/** The first `limit` children (one past, to know there are more) of the parent path `parentRef` names: one index range. */
function firstChildren(parentRef: string, limit: number): string {
  return `SELECT task_path, task_id, pod_name FROM tasks WHERE run_id = $1 AND ${PARENT_KEY} = ${parentRef}
          ORDER BY ${INDEX_KEY}, task_path LIMIT ${limit + 1}`;
}

/** The rows of `firstChildren` by parent: the first `limit` children of each, and how many were read. */
function childrenByParent(rows: readonly ChildRow[], limit: number): Map<string, TaskChildren> {
  const byParent = new Map<string, TaskChildren>();
  for (const r of rows) {
    let entry = byParent.get(r.parent);
    if (!entry) byParent.set(r.parent, (entry = { parentTaskPath: r.parent, total: 0, children: [] }));
    if (r.task_path === null || r.task_id === null) continue;
    entry.total++;
    if (entry.children.length < limit) entry.children.push({ taskPath: r.task_path, taskId: r.task_id, podName: r.pod_name ?? undefined });
  }
  return byParent;
}

/** Counts the children of each parent of `byParent` that had more than `limit` (one past was read) and no count yet. */
async function countOverflowing(db: Queryable, runId: string, byParent: Map<string, TaskChildren>, limit: number): Promise<void> {
  const uncounted = [...byParent.values()].filter((c) => c.total === limit + 1 && !c.stateCounts).map((c) => c.parentTaskPath);
  if (uncounted.length === 0) return;
  const { rows } = await db.query<ChildCountRow>(
    `SELECT ${PARENT_KEY} AS parent, state, count(*)::int AS n FROM tasks
     WHERE run_id = $1 AND ${PARENT_KEY} = ANY($2::text[]) GROUP BY 1, 2`,
    [runId, uncounted],
  );
  applyChildCounts(byParent, rows, limit);
}

/** How many children of `parent` are in `state`. */
interface ChildCountRow {
  parent: string;
  state: TaskState;
  n: number;
}

/** Sets the counted parents' totals, and their counts by state where they have more children than are listed. */
function applyChildCounts(byParent: Map<string, TaskChildren>, rows: readonly ChildCountRow[], limit: number): void {
  const counted = new Map<string, Partial<Record<TaskState, number>>>();
  for (const r of rows) counted.set(r.parent, { ...counted.get(r.parent), [r.state]: r.n });
  for (const [parent, stateCounts] of counted) {
    const entry = byParent.get(parent);
    if (!entry) continue;
    entry.total = Object.values(stateCounts).reduce((sum, n) => sum + n, 0);
    if (entry.total > limit) entry.stateCounts = stateCounts;
  }
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
