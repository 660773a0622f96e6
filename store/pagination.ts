import { createHash } from 'node:crypto';
import { StoreInputError } from './errors';
import type { ListOptions } from './types';

/**
 * KFP-style pagination with keyset cursors. A page token encodes the sort (field, direction),
 * the last row's sort value and id, and a fingerprint of the filter, so the next page starts
 * strictly after that row: rows inserted meanwhile never shift or repeat a page. Column names in
 * the SQL come only from the whitelists below; every value (including the token's) is a parameter.
 */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

interface SortColumn {
  /** SQL expression sorted on. Never NULL: a nullable column is wrapped in COALESCE. */
  expr: string;
  /** Postgres type of `expr`, used to cast the cursor value back from its text form. */
  type: 'text' | 'timestamptz';
}

/** A listable table: its tie-breaker id column and the `sortBy` fields it accepts. */
export interface Listing {
  /** Names the listing in messages and binds tokens to it. */
  entity: string;
  table: string;
  /** What a page selects; every column when absent. */
  columns?: string;
  idColumn: string;
  sortable: Readonly<Record<string, SortColumn>>;
}

/** The columns of `RunSummaryRow`. */
export const RUN_SUMMARY_COLUMNS =
  'run_id, display_name, description, experiment_id, pipeline_id, pipeline_version_id, pipeline_name, recurring_run_id, parameters, ' +
  'input_artifacts, pipeline_root, state, error, storage_state, created_at, scheduled_at, finished_at, namespace, retry_count';

const createdAt: SortColumn = { expr: 'created_at', type: 'timestamptz' };
const name: SortColumn = { expr: 'name', type: 'text' };
const displayName: SortColumn = { expr: 'display_name', type: 'text' };

export const LISTINGS = {
  pipelines: {
    entity: 'pipelines',
    table: 'pipelines',
    idColumn: 'pipeline_id',
    sortable: { created_at: createdAt, name, display_name: displayName },
  },
  pipelineVersions: {
    entity: 'pipeline versions',
    table: 'pipeline_versions',
    idColumn: 'pipeline_version_id',
    sortable: { created_at: createdAt, name, display_name: displayName },
  },
  // Experiments and runs have only a display name; KFP clients also sort them by `name`.
  experiments: {
    entity: 'experiments',
    table: 'experiments',
    idColumn: 'experiment_id',
    sortable: { created_at: createdAt, name: displayName, display_name: displayName },
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
  },
} as const satisfies Record<string, Listing>;

/** A listing's WHERE clause, built from whitelisted columns with values as parameters. */
export class Filter {
  private readonly conditions: string[] = [];
  readonly values: unknown[] = [];
  /** What the filter selects, as data: a page token is only valid for the same scope. */
  private readonly scope: Record<string, unknown> = {};

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

  private param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  where(extra: string[] = []): string {
    const all = [...this.conditions, ...extra];
    return all.length ? `WHERE ${all.join(' AND ')}` : '';
  }

  fingerprint(): string {
    return createHash('sha256').update(JSON.stringify(this.scope)).digest('base64url').slice(0, 16);
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
export function pageQuery(listing: Listing, filter: Filter, opts: ListOptions): PageQuery {
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
