import { createHash } from 'node:crypto';
import { StoreInputError } from './errors';
import type { FieldPredicate, ListOptions } from './types';

/**
 * KFP-style pagination with keyset cursors. A page token encodes the sort (field, direction),
 * the last row's sort value and id, and a fingerprint of the filter, so the next page starts
 * strictly after that row: rows inserted meanwhile never shift or repeat a page. Column names in
 * the SQL come only from the whitelists below; every value (including the token's) is a parameter.
 */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

/** A column a listing sorts or filters on. */
interface Column {
  /** Its SQL expression. */
  expr: string;
  /** Postgres type of `expr`, used to cast a value (a cursor's, a predicate's) to it. */
  type: 'text' | 'timestamptz';
}

/** A column sorted on: its `expr` is never NULL (a nullable column is wrapped in COALESCE). */
type SortColumn = Column;

/** A listable table: its tie-breaker id column and the `sortBy` fields it accepts. */
export interface Listing {
  /** Names the listing in messages and binds tokens to it. */
  entity: string;
  table: string;
  /** What a page selects; every column when absent. */
  columns?: string;
  idColumn: string;
  sortable: Readonly<Record<string, SortColumn>>;
  /** The fields a filter predicate may name (KFP's API field names); these columns may be NULL. */
  filterable: Readonly<Record<string, Column>>;
}

/** The columns of `RunSummaryRow`. */
export const RUN_SUMMARY_COLUMNS =
  'run_id, display_name, description, experiment_id, pipeline_id, pipeline_version_id, pipeline_name, recurring_run_id, parameters, ' +
  'input_artifacts, pipeline_root, state, error, storage_state, created_at, scheduled_at, finished_at, namespace, retry_count';

const createdAt: SortColumn = { expr: 'created_at', type: 'timestamptz' };
const name: SortColumn = { expr: 'name', type: 'text' };
const displayName: SortColumn = { expr: 'display_name', type: 'text' };
const text = (expr: string): Column => ({ expr, type: 'text' });
const time = (expr: string): Column => ({ expr, type: 'timestamptz' });

export const LISTINGS = {
  pipelines: {
    entity: 'pipelines',
    table: 'pipelines',
    idColumn: 'pipeline_id',
    sortable: { created_at: createdAt, name, display_name: displayName },
    filterable: { pipeline_id: text('pipeline_id'), name, display_name: displayName, description: text('description'), created_at: createdAt },
  },
  pipelineVersions: {
    entity: 'pipeline versions',
    table: 'pipeline_versions',
    idColumn: 'pipeline_version_id',
    sortable: { created_at: createdAt, name, display_name: displayName },
    filterable: {
      pipeline_version_id: text('pipeline_version_id'),
      name,
      display_name: displayName,
      description: text('description'),
      created_at: createdAt,
    },
  },
  // Experiments and runs have only a display name; KFP clients also sort them by `name`.
  experiments: {
    entity: 'experiments',
    table: 'experiments',
    idColumn: 'experiment_id',
    sortable: { created_at: createdAt, name: displayName, display_name: displayName },
    filterable: {
      experiment_id: text('experiment_id'),
      name: displayName,
      display_name: displayName,
      description: text('description'),
      storage_state: text('storage_state'),
      created_at: createdAt,
      last_run_created_at: time('last_run_created_at'),
    },
  },
  runs: {
    entity: 'runs',
    table: 'runs',
    // Everything but spec and platform_spec: a page of runs never reads a spec.
    columns: RUN_SUMMARY_COLUMNS,
    idColumn: 'run_id',
    sortable: {
      created_at: createdAt,
      scheduled_at: { expr: 'scheduled_at', type: 'timestamptz' },
      // Unfinished runs sort as finishing at infinity: last ascending, first descending.
      finished_at: { expr: "COALESCE(finished_at, 'infinity'::timestamptz)", type: 'timestamptz' },
      name: displayName,
      display_name: displayName,
      state: { expr: 'state', type: 'text' },
    },
    filterable: {
      run_id: text('run_id'),
      name: displayName,
      display_name: displayName,
      description: text('description'),
      pipeline_id: text('pipeline_id'),
      pipeline_version_id: text('pipeline_version_id'),
      created_at: createdAt,
      scheduled_at: time('scheduled_at'),
      finished_at: time('finished_at'),
    },
  },
  recurringRuns: {
    entity: 'recurring runs',
    table: 'recurring_runs',
    idColumn: 'recurring_run_id',
    sortable: {
      created_at: createdAt,
      updated_at: { expr: 'updated_at', type: 'timestamptz' },
      name: displayName,
      display_name: displayName,
    },
    filterable: {
      recurring_run_id: text('recurring_run_id'),
      name: displayName,
      display_name: displayName,
      description: text('description'),
      mode: text('mode'),
      experiment_id: text('experiment_id'),
      created_at: createdAt,
      updated_at: time('updated_at'),
    },
  },
} as const satisfies Record<string, Listing>;

/** A listing's WHERE clause, built from whitelisted columns with values as parameters. */
export class Filter {
  private readonly conditions: string[] = [];
  readonly values: unknown[] = [];
  /** What the filter selects, as data: a page token is only valid for the same scope. */
  private readonly scope: Record<string, unknown> = {};
  private readonly predicates: FieldPredicate[] = [];

  /** Keeps rows whose `column` equals `value`. */
  equals(column: string, value: unknown): this {
    this.conditions.push(`${column} = ${this.param(value)}`);
    this.scope[column] = value;
    return this;
  }

  /** Keeps rows whose `column` is one of `values`. */
  anyOf(column: string, values: readonly unknown[]): this {
    this.conditions.push(`${column} = ANY(${this.param(values)})`);
    this.scope[column] = [...values].sort();
    return this;
  }

  /** A copy that also keeps only rows satisfying `predicates` (fields of `listing`); this filter is left as it is. */
  withPredicates(listing: Listing, predicates: readonly FieldPredicate[]): Filter {
    const copy = new Filter();
    copy.conditions.push(...this.conditions);
    copy.values.push(...this.values);
    Object.assign(copy.scope, this.scope);
    copy.predicates.push(...this.predicates);
    for (const p of predicates) copy.predicate(filterColumn(listing, p.field), p);
    return copy;
  }

  /** Keeps rows satisfying `p` on `column`; a NULL never equals, contains or compares, but is distinct from any value. */
  private predicate(column: Column, p: FieldPredicate): this {
    const { expr } = column;
    if (p.operation === 'IN') this.conditions.push(`${expr} = ANY(${this.param(p.values)}::${column.type}[])`);
    else if (p.operation === 'IS_SUBSTRING') this.conditions.push(`strpos(${expr}, ${this.param(p.values[0])}) > 0`);
    else if (column.type === 'timestamptz') this.conditions.push(secondCondition(expr, p.operation, this.param(p.values[0])));
    else this.conditions.push(`${expr} ${COMPARISONS[p.operation]} ${this.param(p.values[0])}`);
    this.predicates.push(p);
    return this;
  }

  private param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  where(extra: string[] = []): string {
    const all = [...this.conditions, ...extra];
    return all.length ? `WHERE ${all.join(' AND ')}` : '';
  }

  fingerprint(): string {
    return createHash('sha256').update(JSON.stringify([this.scope, this.predicates])).digest('base64url').slice(0, 16);
  }
}

const COMPARISONS = { EQUALS: '=', NOT_EQUALS: 'IS DISTINCT FROM', GREATER_THAN: '>', GREATER_THAN_EQUALS: '>=', LESS_THAN: '<', LESS_THAN_EQUALS: '<=' } as const;

/**
 * A comparison of a time column with the second of `param`, as KFP compares its times (kept in
 * whole seconds): "after 12:00:00" means from 12:00:01 on. Written as a range on the column
 * itself, so an index on it still serves the query.
 */
function secondCondition(expr: string, operation: keyof typeof COMPARISONS, param: string): string {
  const from = `date_trunc('second', ${param}::timestamptz)`;
  const to = `(${from} + interval '1 second')`;
  const within = `(${expr} >= ${from} AND ${expr} < ${to})`;
  switch (operation) {
    case 'EQUALS':
      return within;
    case 'NOT_EQUALS':
      return `${within} IS NOT TRUE`;
    case 'GREATER_THAN':
      return `${expr} >= ${to}`;
    case 'GREATER_THAN_EQUALS':
      return `${expr} >= ${from}`;
    case 'LESS_THAN':
      return `${expr} < ${from}`;
    case 'LESS_THAN_EQUALS':
      return `${expr} < ${to}`;
  }
}

interface Sort {
  field: string;
  column: SortColumn;
  descending: boolean;
}

interface TokenPayload {
  /** Listing entity. */
  e: string;
  /** Sort field and direction. */
  f: string;
  d: 'asc' | 'desc';
  /** Last row's sort value (Postgres text form, exact to the microsecond) and id. */
  v: string;
  i: string;
  /** Filter fingerprint. */
  s: string;
}

/** Column added to page rows: the sort value as text, for the next page token. */
export const SORT_KEY_COLUMN = 'page_sort_key';

export interface PageQuery {
  rows: { text: string; values: unknown[] };
  count: { text: string; values: unknown[] };
  /**
   * Cuts the fetched rows (one more than the page size is fetched) into this page and the token
   * for the next one.
   */
  cut<R extends object>(rows: R[]): { rows: R[]; nextPageToken?: string };
}

/**
 * Plans one page of `listing` under `filter`. Throws `StoreInputError` for a bad page size, an
 * unknown sort field or direction, or a token that is malformed or was issued for another
 * listing, filter or sort. With a token and no `sortBy`, the token's sort is used.
 */
export function pageQuery(listing: Listing, given: Filter, opts: ListOptions): PageQuery {
  const filter = given.withPredicates(listing, opts.predicates ?? []);
  const pageSize = parsePageSize(opts.pageSize);
  const scope = filter.fingerprint();
  const requested = opts.sortBy === undefined ? undefined : parseSortBy(listing, opts.sortBy);
  const cursor = opts.pageToken ? decodeToken(listing, opts.pageToken, scope) : undefined;
  if (requested && cursor && !sameSort(requested, cursor.sort)) {
    throw new StoreInputError('pageToken', `page token was issued for sort "${describeSort(cursor.sort)}", not "${describeSort(requested)}"`);
  }
  const sort = requested ?? cursor?.sort ?? parseSortBy(listing, 'created_at');
  const { expr, type } = sort.column;
  const id = listing.idColumn;
  const dir = sort.descending ? 'DESC' : 'ASC';

  const values = [...filter.values];
  const param = (value: unknown) => `$${values.push(value)}`;
  const seek = cursor
    ? [`(${expr}, ${id}) ${sort.descending ? '<' : '>'} (${param(cursor.value)}::${type}, ${param(cursor.id)})`]
    : [];
  const rowsText =
    `SELECT ${listing.columns ?? '*'}, (${expr})::text AS ${SORT_KEY_COLUMN} FROM ${listing.table} ${filter.where(seek)} ` +
    `ORDER BY ${expr} ${dir}, ${id} ${dir} LIMIT ${pageSize + 1}`;
  // The seek condition is not part of the total: totalSize counts every row the filter matches.
  const countText = `SELECT count(*)::int AS total FROM ${listing.table} ${filter.where()}`;

  return {
    rows: { text: rowsText, values },
    count: { text: countText, values: filter.values },
    cut(rows) {
      if (rows.length <= pageSize) return { rows };
      const page = rows.slice(0, pageSize);
      const last = page[page.length - 1] as Record<string, unknown>;
      const payload: TokenPayload = {
        e: listing.entity,
        f: sort.field,
        d: sort.descending ? 'desc' : 'asc',
        v: String(last[SORT_KEY_COLUMN]),
        i: String(last[id]),
        s: scope,
      };
      return { rows: page, nextPageToken: Buffer.from(JSON.stringify(payload)).toString('base64url') };
    },
  };
}

/** The page size to use: the default for 0 or none, capped at `MAX_PAGE_SIZE`. Throws `StoreInputError` for a negative or fractional size. */
export function parsePageSize(pageSize: number | undefined): number {
  if (pageSize === undefined || pageSize === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw new StoreInputError('pageSize', `pageSize must be a non-negative integer, got ${pageSize}`);
  }
  return Math.min(pageSize, MAX_PAGE_SIZE);
}

function filterColumn(listing: Listing, field: string): Column {
  const column = Object.hasOwn(listing.filterable, field) ? listing.filterable[field] : undefined;
  if (!column) throw new StoreInputError('predicates', `cannot filter ${listing.entity} on "${field}"; filterable fields: ${Object.keys(listing.filterable).join(', ')}`);
  return column;
}

/** Parses `"field"` or `"field asc|desc"` (KFP's `sort_by`). */
function parseSortBy(listing: Listing, sortBy: string): Sort {
  const [field = '', direction = 'asc', ...rest] = sortBy.trim().split(/\s+/);
  const column = Object.hasOwn(listing.sortable, field) ? listing.sortable[field] : undefined;
  if (!column) {
    const known = Object.keys(listing.sortable).join(', ');
    throw new StoreInputError('sortBy', `cannot sort ${listing.entity} by "${field}"; sortable fields: ${known}`);
  }
  const dir = direction.toLowerCase();
  if ((dir !== 'asc' && dir !== 'desc') || rest.length > 0) {
    throw new StoreInputError('sortBy', `bad sort "${sortBy}": expected "${field}", "${field} asc" or "${field} desc"`);
  }
  return { field, column, descending: dir === 'desc' };
}

function sameSort(a: Sort, b: Sort): boolean {
  return a.column === b.column && a.descending === b.descending;
}

function describeSort(sort: Sort): string {
  return `${sort.field} ${sort.descending ? 'desc' : 'asc'}`;
}

function decodeToken(listing: Listing, token: string, scope: string): { sort: Sort; value: string; id: string } {
  let payload: Partial<TokenPayload>;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenPayload>;
  } catch {
    throw new StoreInputError('pageToken', 'malformed page token');
  }
  const { e, f, d, v, i, s } = payload ?? {};
  if (typeof f !== 'string' || typeof v !== 'string' || typeof i !== 'string' || (d !== 'asc' && d !== 'desc')) {
    throw new StoreInputError('pageToken', 'malformed page token');
  }
  if (e !== listing.entity || s !== scope || !Object.hasOwn(listing.sortable, f)) {
    throw new StoreInputError('pageToken', `page token was not issued for this listing of ${listing.entity} and filter`);
  }
  return { sort: parseSortBy(listing, `${f} ${d}`), value: v, id: i };
}
