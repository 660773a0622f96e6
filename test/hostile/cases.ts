import { API } from '../api/harness';
import { tinySpec } from '../api/harness';
import { blobSpec, incompressibleString } from '../api/large-specs';

/**
 * The hostile corpus as tables: each table crosses a set of routes with a set of attacks, so the
 * corpus grows by a row rather than by a hand-written test. Every case must get a 4xx carrying
 * KFP's JSON error body (naming `field` where given), promptly, and write nothing.
 */

/** Ids of what the suite seeds before the corpus runs; cases attack around them. */
export interface Seeded {
  pipelineId: string;
  versionId: string;
  experimentId: string;
  runId: string;
  /** A paused recurring run (its schedule starts nothing). */
  recurringRunId: string;
  artifactRoot: string;
}

export interface HostileCase {
  /** The route as the README names it, for the counts by route. */
  route: string;
  what: string;
  method: string;
  path: (s: Seeded) => string;
  headers?: Record<string, string>;
  body?: (s: Seeded) => string | Buffer | FormData;
  /** Exact status expected; any 4xx when unset. */
  status?: number;
  /** A field violation expected in the error body (exact, or a pattern). */
  field?: string | RegExp;
  /** Text the error message must contain. */
  message?: string | RegExp;
}

/** Limits the suite's API runs with, small so that oversized requests stay cheap to send. */
export const LIMITS = { maxBodyBytes: 4 * 1024 * 1024, maxUploadBytes: 1024 * 1024 };

const json = (value: unknown) => () => JSON.stringify(value);
const JSON_HEADERS = { 'content-type': 'application/json' };
const NUL = '\u0000';
/** A JSON value nested `depth` lists deep. */
const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

// ---------------------------------------------------------------------------------------------
// Path parameters: every route with a parameter, crossed with malformed, NUL, overlong and unknown values.

interface ParamRoute {
  route: string;
  method: string;
  /** The path with `value` in the attacked parameter (already percent-encoded as sent). */
  path: (s: Seeded, value: string) => string;
  param: string;
  /** Longest value the parameter accepts. */
  limit: number;
  body?: (s: Seeded) => string;
}

const P = API;
const emptyJson = () => '{}';
const PARAM_ROUTES: ParamRoute[] = [
  { route: 'GET /pipelines/{id}', method: 'GET', path: (_s, v) => `${P}/pipelines/${v}`, param: 'pipeline_id', limit: 128 },
  { route: 'DELETE /pipelines/{id}', method: 'DELETE', path: (_s, v) => `${P}/pipelines/${v}`, param: 'pipeline_id', limit: 128 },
  { route: 'GET /pipelines/names/{name}', method: 'GET', path: (_s, v) => `${P}/pipelines/names/${v}`, param: 'name', limit: 255 },
  { route: 'GET /pipelines/{id}/versions', method: 'GET', path: (_s, v) => `${P}/pipelines/${v}/versions`, param: 'pipeline_id', limit: 128 },
  {
    route: 'POST /pipelines/{id}/versions',
    method: 'POST',
    path: (_s, v) => `${P}/pipelines/${v}/versions`,
    param: 'pipeline_id',
    limit: 128,
    body: json({ pipeline_spec: tinySpec('hostile-version') }),
  },
  { route: 'GET /pipelines/{id}/versions/{vid}', method: 'GET', path: (_s, v) => `${P}/pipelines/${v}/versions/x`, param: 'pipeline_id', limit: 128 },
  { route: 'GET /pipelines/{id}/versions/{vid}', method: 'GET', path: (s, v) => `${P}/pipelines/${s.pipelineId}/versions/${v}`, param: 'version_id', limit: 128 },
  { route: 'DELETE /pipelines/{id}/versions/{vid}', method: 'DELETE', path: (s, v) => `${P}/pipelines/${s.pipelineId}/versions/${v}`, param: 'version_id', limit: 128 },
  { route: 'DELETE /pipelines/{id}/versions/{vid}', method: 'DELETE', path: (s, v) => `${P}/pipelines/${v}/versions/${s.versionId}`, param: 'pipeline_id', limit: 128 },
  { route: 'GET /experiments/{id}', method: 'GET', path: (_s, v) => `${P}/experiments/${v}`, param: 'experiment_id', limit: 128 },
  { route: 'DELETE /experiments/{id}', method: 'DELETE', path: (_s, v) => `${P}/experiments/${v}`, param: 'experiment_id', limit: 128 },
  { route: 'POST /experiments/{id}:archive', method: 'POST', path: (_s, v) => `${P}/experiments/${v}:archive`, param: 'experiment_id', limit: 128, body: emptyJson },
  { route: 'POST /experiments/{id}:unarchive', method: 'POST', path: (_s, v) => `${P}/experiments/${v}:unarchive`, param: 'experiment_id', limit: 128 },
  { route: 'GET /runs/{id}', method: 'GET', path: (_s, v) => `${P}/runs/${v}`, param: 'run_id', limit: 128 },
  { route: 'DELETE /runs/{id}', method: 'DELETE', path: (_s, v) => `${P}/runs/${v}`, param: 'run_id', limit: 128 },
  { route: 'POST /runs/{id}:terminate', method: 'POST', path: (_s, v) => `${P}/runs/${v}:terminate`, param: 'run_id', limit: 128, body: emptyJson },
  { route: 'POST /runs/{id}:retry', method: 'POST', path: (_s, v) => `${P}/runs/${v}:retry`, param: 'run_id', limit: 128 },
  { route: 'POST /runs/{id}:archive', method: 'POST', path: (_s, v) => `${P}/runs/${v}:archive`, param: 'run_id', limit: 128 },
  { route: 'POST /runs/{id}:unarchive', method: 'POST', path: (_s, v) => `${P}/runs/${v}:unarchive`, param: 'run_id', limit: 128 },
  { route: 'GET /runs/{id}/tasks', method: 'GET', path: (_s, v) => `${P}/runs/${v}/tasks`, param: 'run_id', limit: 128 },
  { route: 'GET /runs/{id}/tasks/{task}/logs', method: 'GET', path: (_s, v) => `${P}/runs/${v}/tasks/echo/logs`, param: 'run_id', limit: 128 },
  { route: 'GET /runs/{id}/tasks/{task}/logs', method: 'GET', path: (s, v) => `${P}/runs/${s.runId}/tasks/${v}/logs`, param: 'task', limit: 4096 },
  { route: 'GET /runs/{id}/artifacts', method: 'GET', path: (_s, v) => `${P}/runs/${v}/artifacts`, param: 'run_id', limit: 128 },
  { route: 'GET /artifacts/{id}', method: 'GET', path: (_s, v) => `${P}/artifacts/${v}`, param: 'artifact_id', limit: 128 },
  { route: 'POST /tokens/{id}:revoke', method: 'POST', path: (_s, v) => `${P}/tokens/${v}:revoke`, param: 'token_id', limit: 128 },
  { route: 'GET /recurringruns/{id}', method: 'GET', path: (_s, v) => `${P}/recurringruns/${v}`, param: 'recurring_run_id', limit: 128 },
  { route: 'DELETE /recurringruns/{id}', method: 'DELETE', path: (_s, v) => `${P}/recurringruns/${v}`, param: 'recurring_run_id', limit: 128 },
  { route: 'POST /recurringruns/{id}:enable', method: 'POST', path: (_s, v) => `${P}/recurringruns/${v}:enable`, param: 'recurring_run_id', limit: 128 },
  { route: 'POST /recurringruns/{id}:disable', method: 'POST', path: (_s, v) => `${P}/recurringruns/${v}:disable`, param: 'recurring_run_id', limit: 128, body: emptyJson },
  { route: 'POST /recurringruns/{id}:trigger', method: 'POST', path: (_s, v) => `${P}/recurringruns/${v}:trigger`, param: 'recurring_run_id', limit: 128 },
  {
    route: 'POST /recurringruns/{id}:backfill',
    method: 'POST',
    path: (_s, v) => `${P}/recurringruns/${v}:backfill`,
    param: 'recurring_run_id',
    limit: 128,
    body: json({ start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-02T00:00:00Z' }),
  },
];

/** What is put in the parameter, and what must come back. */
const PARAM_ATTACKS: { what: string; value: (limit: number) => string; status: number; field?: (param: string) => string; message?: string }[] = [
  { what: 'a NUL byte', value: () => '%00', status: 400, field: (p) => p, message: 'NUL' },
  { what: 'a NUL byte inside an id', value: () => 'abc%00def', status: 400, field: (p) => p, message: 'NUL' },
  { what: 'a lone percent sign', value: () => 'abc%', status: 400, field: () => 'path', message: 'percent-encoding' },
  { what: 'an invalid percent escape', value: () => '%zz', status: 400, field: () => 'path', message: 'percent-encoding' },
  { what: 'a truncated UTF-8 sequence', value: () => '%E0%A4%A', status: 400, field: () => 'path', message: 'percent-encoding' },
  { what: 'an invalid UTF-8 byte', value: () => '%C0%AF', status: 400, field: () => 'path', message: 'percent-encoding' },
  { what: 'a value over its limit', value: (limit) => 'x'.repeat(limit + 1), status: 400, field: (p) => p, message: 'longer than' },
  { what: 'an encoded path traversal', value: () => '..%2F..%2F..%2Fetc%2Fpasswd', status: 404 },
  { what: 'an id that does not exist', value: () => '00000000-0000-0000-0000-00000000dead', status: 404 },
];

const paramCases: HostileCase[] = PARAM_ROUTES.flatMap((r) =>
  PARAM_ATTACKS.map((a) => ({
    route: r.route,
    what: `${r.param}: ${a.what}`,
    method: r.method,
    path: (s: Seeded) => r.path(s, a.value(r.limit)),
    ...(r.body ? { headers: JSON_HEADERS, body: r.body } : {}),
    status: a.status,
    field: a.field?.(r.param),
    message: a.message,
  })),
);

// ---------------------------------------------------------------------------------------------
// Query parameters of the listing routes.

const LIST_ROUTES: { route: string; path: (s: Seeded) => string; namespace: boolean }[] = [
  { route: 'GET /pipelines', path: () => `${P}/pipelines`, namespace: true },
  { route: 'GET /pipelines/{id}/versions', path: (s) => `${P}/pipelines/${s.pipelineId}/versions`, namespace: true },
  { route: 'GET /experiments', path: () => `${P}/experiments`, namespace: true },
  { route: 'GET /runs', path: () => `${P}/runs`, namespace: true },
  { route: 'GET /runs/{id}/tasks', path: (s) => `${P}/runs/${s.runId}/tasks`, namespace: false },
  { route: 'GET /recurringruns', path: () => `${P}/recurringruns`, namespace: true },
];

// As deep as a URL within Node's 16 KiB header limit allows.
const deepFilter = encodeURIComponent(`{"predicates":[${'['.repeat(2000)}${']'.repeat(2000)}]}`);
const QUERY_ATTACKS: { what: string; query: string; field: string | RegExp; message?: string; filters?: boolean; namespace?: boolean }[] = [
  { what: 'an unknown parameter', query: 'pagesize=10', field: 'pagesize', message: 'unknown field' },
  { what: 'a negative page size', query: 'page_size=-1', field: 'page_size' },
  { what: 'a page size that is not a number', query: 'page_size=ten', field: 'page_size' },
  { what: 'a page size beyond any number', query: `page_size=1${'0'.repeat(400)}`, field: 'page_size' },
  { what: 'a fractional page size', query: 'page_size=1.5', field: 'page_size' },
  { what: 'a forged page token', query: 'page_token=not-a-token', field: 'page_token' },
  { what: 'a page token with a NUL byte', query: 'page_token=%00', field: 'page_token', message: 'NUL' },
  { what: 'a page token that is base64 of garbage', query: `page_token=${Buffer.from('{"v":["x"],"id":1}').toString('base64url')}`, field: 'page_token' },
  { what: 'an unknown sort field', query: 'sort_by=password', field: 'sort_by', filters: true },
  { what: 'a sort direction that is not one', query: 'sort_by=created_at%20sideways', field: 'sort_by', filters: true },
  { what: 'a sort_by with a NUL byte', query: 'sort_by=created_at%00', field: 'sort_by', message: 'NUL', filters: true },
  { what: 'a sort_by with SQL', query: `sort_by=${encodeURIComponent("created_at; DROP TABLE runs")}`, field: 'sort_by', filters: true },
  { what: 'a filter that is not JSON', query: 'filter=%7B', field: 'filter', filters: true },
  { what: 'a filter that is a list', query: 'filter=%5B%5D', field: 'filter', filters: true },
  { what: 'a filter nested 2,000 levels deep', query: `filter=${deepFilter}`, field: /^filter/, filters: true },
  { what: 'a filter with a NUL byte', query: `filter=${encodeURIComponent('{"predicates":[{"key":"name","operation":"EQUALS","string_value":"a')}%00%22%7D%5D%7D`, field: /filter/, filters: true },
  { what: 'a filter on an unknown key', query: `filter=${encodeURIComponent('{"predicates":[{"key":"secret","operation":"EQUALS","string_value":"a"}]}')}`, field: /filter/, filters: true },
  { what: 'a filter with an unknown operation', query: `filter=${encodeURIComponent('{"predicates":[{"key":"name","operation":"LIKE","string_value":"a"}]}')}`, field: /filter/, filters: true },
  { what: 'a time filter on a year past 9999', query: `filter=${encodeURIComponent('{"predicates":[{"key":"created_at","operation":"GREATER_THAN","timestamp_value":"10000-01-01T00:00:00Z"}]}')}`, field: /^filter\.predicates\.0/, message: 'not a time', filters: true },
  { what: 'a time filter beyond any date', query: `filter=${encodeURIComponent(`{"predicates":[{"key":"created_at","operation":"LESS_THAN","long_value":"${'9'.repeat(40)}"}]}`)}`, field: /^filter\.predicates\.0/, message: 'not a time', filters: true },
  { what: 'a substring filter on a time', query: `filter=${encodeURIComponent('{"predicates":[{"key":"created_at","operation":"IS_SUBSTRING","string_value":"2026"}]}')}`, field: /^filter\.predicates\.0\.operation/, filters: true },
  { what: 'a namespace over 63 characters', query: `namespace=${'n'.repeat(64)}`, field: 'namespace', message: 'longer than 63', namespace: true },
  { what: 'a namespace with a NUL byte', query: 'namespace=a%00', field: 'namespace', message: 'NUL', namespace: true },
];

const queryCases: HostileCase[] = LIST_ROUTES.flatMap((r) =>
  QUERY_ATTACKS.filter((a) => (!a.filters || r.namespace) && (!a.namespace || r.namespace)).map((a) => ({
    route: r.route,
    what: `?${a.what}`,
    method: 'GET',
    path: (s: Seeded) => `${r.path(s)}?${a.query}`,
    status: 400,
    field: a.field,
    message: a.message,
  })),
);

const moreQueryCases: HostileCase[] = [
  { route: 'GET /runs', what: '?experiment_id with a NUL byte', method: 'GET', path: () => `${P}/runs?experiment_id=%00`, status: 400, field: 'experiment_id' },
  { route: 'GET /runs', what: '?experiment_id over 128 characters', method: 'GET', path: () => `${P}/runs?experiment_id=${'e'.repeat(129)}`, status: 400, field: 'experiment_id' },
  { route: 'GET /runs', what: '?a malformed percent escape in the query', method: 'GET', path: () => `${P}/runs?filter=%zz`, status: 400, field: /filter/ },
  { route: 'GET /runs/{id}/tasks', what: '?parent_task_id with a NUL byte', method: 'GET', path: (s) => `${P}/runs/${s.runId}/tasks?parent_task_id=%00`, status: 400, field: 'parent_task_id' },
  { route: 'GET /runs/{id}/tasks/{task}/logs', what: '?attempt 0', method: 'GET', path: (s) => `${P}/runs/${s.runId}/tasks/echo/logs?attempt=0`, status: 400, field: 'attempt' },
  { route: 'GET /runs/{id}/tasks/{task}/logs', what: '?attempt not a number', method: 'GET', path: (s) => `${P}/runs/${s.runId}/tasks/echo/logs?attempt=one`, status: 400, field: 'attempt' },
  { route: 'GET /runs/{id}/tasks/{task}/logs', what: '?follow not a flag', method: 'GET', path: (s) => `${P}/runs/${s.runId}/tasks/echo/logs?follow=maybe`, status: 400, field: 'follow' },
  { route: 'GET /runs/{id}/tasks/{task}/logs', what: '?an unknown parameter', method: 'GET', path: (s) => `${P}/runs/${s.runId}/tasks/echo/logs?tail=10`, status: 400, field: 'tail' },
  { route: 'DELETE /pipelines/{id}', what: '?cascade not a flag', method: 'DELETE', path: (s) => `${P}/pipelines/${s.pipelineId}?cascade=yes`, status: 400, field: 'cascade' },
  { route: 'DELETE /pipelines/{id}', what: '?an unknown parameter', method: 'DELETE', path: (s) => `${P}/pipelines/${s.pipelineId}?force=true`, status: 400, field: 'force' },
  { route: 'GET /pipelines/names/{name}', what: '?namespace over 63 characters', method: 'GET', path: () => `${P}/pipelines/names/x?namespace=${'n'.repeat(64)}`, status: 400, field: 'namespace' },
  { route: 'GET /pipelines/names/{name}', what: '?an unknown parameter', method: 'GET', path: () => `${P}/pipelines/names/x?nmespace=a`, status: 400, field: 'nmespace' },
  { route: 'GET /recurringruns', what: '?experiment_id over 128 characters', method: 'GET', path: () => `${P}/recurringruns?experiment_id=${'e'.repeat(129)}`, status: 400, field: 'experiment_id' },
  { route: 'GET /healthz', what: '?a NUL byte in the query', method: 'GET', path: () => `${P}/healthz?x=%00`, status: 400, field: 'x' },
];

// ---------------------------------------------------------------------------------------------
// JSON bodies: every route that takes one, crossed with malformed, mistyped and oversized bodies.

interface BodyRoute {
  route: string;
  path: (s: Seeded) => string;
  /** A body the route would accept, as an object, into which `set` places a hostile value. */
  valid: (s: Seeded) => Record<string, unknown>;
  /** Where the route's name, display name and description live in `valid`, as field paths. */
  nameField: string;
  descriptionField: string;
}

const runBody = (extra: Record<string, unknown> = {}) => ({ display_name: 'hostile', pipeline_spec: tinySpec('hostile-run'), ...extra });
/** A recurring run the API would accept: paused and yearly. */
const recurringBody = (extra: Record<string, unknown> = {}) =>
  runBody({ trigger: { cron_schedule: { cron: '0 0 0 1 1 *' } }, mode: 'DISABLE', ...extra });
const BODY_ROUTES: BodyRoute[] = [
  { route: 'POST /pipelines', path: () => `${P}/pipelines`, valid: () => ({ name: 'hostile-pipeline' }), nameField: 'name', descriptionField: 'description' },
  {
    route: 'POST /pipelines/create',
    path: () => `${P}/pipelines/create`,
    valid: () => ({ pipeline: { name: 'hostile-created' }, pipeline_version: { pipeline_spec: tinySpec('hostile-created') } }),
    nameField: 'pipeline.name',
    descriptionField: 'pipeline_version.description',
  },
  {
    route: 'POST /pipelines/{id}/versions',
    path: (s) => `${P}/pipelines/${s.pipelineId}/versions`,
    valid: () => ({ name: 'hostile-version', pipeline_spec: tinySpec('hostile-version') }),
    nameField: 'name',
    descriptionField: 'description',
  },
  { route: 'POST /experiments', path: () => `${P}/experiments`, valid: () => ({ display_name: 'hostile-experiment' }), nameField: 'display_name', descriptionField: 'description' },
  { route: 'POST /runs', path: () => `${P}/runs`, valid: () => runBody(), nameField: 'display_name', descriptionField: 'description' },
  { route: 'POST /recurringruns', path: () => `${P}/recurringruns`, valid: () => recurringBody(), nameField: 'display_name', descriptionField: 'description' },
];

/** `body` with `value` at the dotted `field`. */
function withField(body: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = field.split('.');
  let at = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
  return copy;
}

/** One attack of a table, sent as a POST to each of the table's routes. */
interface Attack<R> {
  what: string;
  headers?: Record<string, string>;
  body: (r: R, s: Seeded) => string | Buffer | FormData;
  status: number;
  field?: string | RegExp | ((r: R) => string | RegExp);
  message?: string;
}

/** Every attack against every route: one POST case each. */
function postCases<R extends { route: string; path: (s: Seeded) => string }>(routes: R[], attacks: Attack<R>[], headers?: Record<string, string>): HostileCase[] {
  return routes.flatMap((r) =>
    attacks.map((a) => ({
      route: r.route,
      what: a.what,
      method: 'POST',
      path: r.path,
      headers: a.headers ?? headers,
      body: (s: Seeded) => a.body(r, s),
      status: a.status,
      field: typeof a.field === 'function' ? a.field(r) : a.field,
      message: a.message,
    })),
  );
}

const BODY_ATTACKS: Attack<BodyRoute>[] = [
  { what: 'malformed JSON', body: () => '{"name": ', status: 400, field: () => 'request body' },
  { what: 'JSON with a trailing comma', body: () => '{"name": "x",}', status: 400, field: () => 'request body' },
  { what: 'a JSON list', body: () => '[]', status: 400 },
  { what: 'a JSON string', body: () => '"hello"', status: 400 },
  { what: 'JSON null', body: () => 'null', status: 400 },
  { what: 'JSON nested 100,000 levels', body: () => `{"x": ${deepJson(100_000)}}`, status: 400, field: () => /^x/, message: 'nested more than 100 levels' },
  { what: 'JSON nested 101 levels', body: (r, s) => JSON.stringify({ ...r.valid(s), deep: JSON.parse(deepJson(101)) }), status: 400, field: () => /^deep/ },
  { what: 'a body over the limit', body: () => `{"x": "${'a'.repeat(LIMITS.maxBodyBytes + 10)}"}`, status: 413, field: () => 'request body', message: 'larger than the 4 MiB limit' },
  { what: 'a NUL byte in the name', body: (r, s) => JSON.stringify(withField(r.valid(s), r.nameField, `a${NUL}b`)), status: 400, field: (r) => r.nameField, message: 'NUL' },
  { what: 'a NUL byte in the description', body: (r, s) => JSON.stringify(withField(r.valid(s), r.descriptionField, NUL)), status: 400, field: (r) => r.descriptionField, message: 'NUL' },
  { what: 'a NUL byte in a key', body: (r, s) => JSON.stringify({ ...r.valid(s), [`k${NUL}`]: 1 }), status: 400, message: 'NUL' },
  { what: 'a name over 255 characters', body: (r, s) => JSON.stringify(withField(r.valid(s), r.nameField, 'n'.repeat(256))), status: 400, field: (r) => r.nameField, message: 'longer than 255' },
  { what: 'a name of 10,000 characters', body: (r, s) => JSON.stringify(withField(r.valid(s), r.nameField, 'n'.repeat(10_000))), status: 400, field: (r) => r.nameField, message: 'longer than 255' },
  { what: 'a whitespace-only name', body: (r, s) => JSON.stringify(withField(r.valid(s), r.nameField, ' \t ')), status: 400, field: (r) => r.nameField, message: 'blank' },
  { what: 'a name that is a number', body: (r, s) => JSON.stringify(withField(r.valid(s), r.nameField, 42)), status: 400, field: (r) => r.nameField },
  { what: 'a name that is an object', body: (r, s) => JSON.stringify(withField(r.valid(s), r.nameField, { a: 1 })), status: 400, field: (r) => r.nameField },
  { what: 'a description over 10,000 characters', body: (r, s) => JSON.stringify(withField(r.valid(s), r.descriptionField, 'd'.repeat(10_001))), status: 400, field: (r) => r.descriptionField },
  { what: 'a text/plain body', headers: { 'content-type': 'text/plain' }, body: (r, s) => JSON.stringify(r.valid(s)), status: 415, field: () => 'Content-Type' },
  { what: 'a form-encoded body', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: () => 'name=x', status: 415, field: () => 'Content-Type' },
  { what: 'a multipart body', headers: {}, body: () => multipartForm('pipeline.yaml', 'a: 1'), status: 415, field: () => 'Content-Type' },
  { what: 'no content type', headers: { 'content-type': '' }, body: (r, s) => Buffer.from(JSON.stringify(r.valid(s))), status: 415, field: () => 'Content-Type' },
  { what: 'an unknown Content-Encoding', headers: { ...JSON_HEADERS, 'content-encoding': 'zip' }, body: (r, s) => JSON.stringify(r.valid(s)), status: 415, field: () => 'Content-Encoding' },
  { what: 'a gzip Content-Encoding over plain text', headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body: (r, s) => JSON.stringify(r.valid(s)), status: 400 },
  { what: 'an unknown charset', headers: { 'content-type': 'application/json; charset=klingon' }, body: (r, s) => JSON.stringify(r.valid(s)), status: 415 },
  { what: 'invalid UTF-8', headers: JSON_HEADERS, body: () => Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), status: 400 },
];

const bodyCases = postCases(BODY_ROUTES, BODY_ATTACKS, JSON_HEADERS);

// ---------------------------------------------------------------------------------------------
// Specs: what a pipeline spec may not contain, sent inline to every route that takes one.

/** tinySpec with `edit` applied to a copy. */
function specWith(edit: (spec: ReturnType<typeof tinySpec>) => void): ReturnType<typeof tinySpec> {
  const spec = structuredClone(tinySpec('hostile-spec'));
  edit(spec);
  return spec;
}

function renameTask(name: string) {
  return specWith((spec) => {
    const tasks = spec.root.dag.tasks as Record<string, unknown>;
    tasks[name] = tasks.echo;
    delete tasks.echo;
  });
}

const SPEC_ATTACKS: { what: string; spec: () => unknown; field: string | RegExp; message?: string }[] = [
  { what: 'a task named ../x', spec: () => renameTask('../x'), field: 'root.dag.tasks["../x"]', message: 'artifact store' },
  { what: 'a task named ..', spec: () => renameTask('..'), field: 'root.dag.tasks[".."]' },
  { what: 'a task named .', spec: () => renameTask('.'), field: 'root.dag.tasks["."]' },
  { what: 'a task named a/b', spec: () => renameTask('a/b'), field: 'root.dag.tasks["a/b"]' },
  { what: 'a task named a\\b', spec: () => renameTask('a\\b'), field: 'root.dag.tasks["a\\\\b"]' },
  { what: 'a task with an empty name', spec: () => renameTask(''), field: 'root.dag.tasks[""]', message: 'empty' },
  { what: 'a task name of 300 bytes', spec: () => renameTask('t'.repeat(300)), field: /^root\.dag\.tasks\["t+\.\.\."\]$/, message: 'longer than 255 bytes' },
  {
    what: 'an output named ../../etc',
    spec: () => specWith((spec) => {
      (spec.components['comp-echo'] as Record<string, unknown>).outputDefinitions = { artifacts: { '../../etc': { artifactType: { schemaTitle: 'system.Artifact' } } } };
    }),
    field: 'components.comp-echo.outputDefinitions.artifacts["../../etc"]',
  },
  {
    what: 'an output parameter named a/b',
    spec: () => specWith((spec) => {
      (spec.components['comp-echo'] as Record<string, unknown>).outputDefinitions = { parameters: { 'a/b': { parameterType: 'STRING' } } };
    }),
    field: 'components.comp-echo.outputDefinitions.parameters["a/b"]',
  },
  {
    what: 'an input named ..',
    spec: () => specWith((spec) => {
      (spec.components['comp-echo'] as Record<string, unknown>).inputDefinitions = { parameters: { '..': { parameterType: 'STRING', isOptional: true } } };
    }),
    field: 'components.comp-echo.inputDefinitions.parameters[".."]',
  },
  {
    what: 'a component named comp/../x',
    spec: () => specWith((spec) => {
      const components = spec.components as Record<string, unknown>;
      components['comp/../x'] = components['comp-echo'];
      delete components['comp-echo'];
      spec.root.dag.tasks.echo.componentRef.name = 'comp/../x';
    }),
    field: 'components["comp/../x"]',
  },
  {
    what: 'a component whose DAG runs itself',
    spec: () => specWith((spec) => {
      (spec.components as Record<string, unknown>)['comp-self'] = { dag: { tasks: { again: { taskInfo: { name: 'again' }, componentRef: { name: 'comp-self' } } } } };
      spec.root.dag.tasks.echo.componentRef.name = 'comp-self';
    }),
    field: 'components.comp-self.dag',
    message: 'nest without end',
  },
  { what: 'a pipeline name over 128 characters', spec: () => specWith((spec) => { spec.pipelineInfo.name = 'p'.repeat(129); }), field: 'pipelineInfo.name', message: 'longer than 128' },
  {
    what: 'an integer default of 2^63',
    spec: () => ({ ...tinySpec('hostile-int', { n: { parameterType: 'NUMBER_INTEGER', defaultValue: 2 ** 63 } }) }),
    field: 'root.inputDefinitions.parameters.n.defaultValue',
    message: '2^53',
  },
];

const SPEC_ROUTES: { route: string; path: (s: Seeded) => string; body: (spec: unknown) => unknown; prefix: string }[] = [
  { route: 'POST /runs', path: () => `${P}/runs`, body: (spec) => ({ display_name: 'x', pipeline_spec: spec }), prefix: 'pipeline_spec' },
  { route: 'POST /recurringruns', path: () => `${P}/recurringruns`, body: (spec) => recurringBody({ display_name: 'x', pipeline_spec: spec }), prefix: 'pipeline_spec' },
  {
    route: 'POST /pipelines/{id}/versions',
    path: (s) => `${P}/pipelines/${s.pipelineId}/versions`,
    body: (spec) => ({ name: 'x', pipeline_spec: spec }),
    prefix: 'pipeline_spec',
  },
  {
    route: 'POST /pipelines/create',
    path: () => `${P}/pipelines/create`,
    body: (spec) => ({ pipeline: { name: 'x' }, pipeline_version: { pipeline_spec: spec } }),
    prefix: 'pipeline_version.pipeline_spec',
  },
];

const specCases: HostileCase[] = SPEC_ROUTES.flatMap((r) =>
  SPEC_ATTACKS.map((a) => ({
    route: r.route,
    what: `spec with ${a.what}`,
    method: 'POST',
    path: r.path,
    headers: JSON_HEADERS,
    body: () => JSON.stringify(r.body(a.spec())),
    status: 400,
    field: typeof a.field === 'string' ? `${r.prefix}.${a.field}` : new RegExp(`^${r.prefix.replace(/\./g, '\\.')}\\.${a.field.source.slice(1)}`),
    message: a.message,
  })),
);

// ---------------------------------------------------------------------------------------------
// Run creation: parameters, pipeline roots, references.

const intSpec = () => tinySpec('hostile-params', { n: { parameterType: 'NUMBER_INTEGER' } });
const strSpec = () => tinySpec('hostile-params', { s: { parameterType: 'STRING' } });
const runCase = (what: string, body: (s: Seeded) => unknown, field: string | RegExp, message?: string, status = 400): HostileCase => ({
  route: 'POST /runs',
  what,
  method: 'POST',
  path: () => `${P}/runs`,
  headers: JSON_HEADERS,
  body: (s) => JSON.stringify(body(s)),
  status,
  field,
  message,
});
const withRoot = (root: string | ((s: Seeded) => string)) => (s: Seeded) =>
  runBody({ runtime_config: { pipeline_root: typeof root === 'string' ? root : root(s) } });

const runCases: HostileCase[] = [
  runCase('an integer parameter of 2^63', () => ({ pipeline_spec: intSpec(), runtime_config: { parameters: { n: 2 ** 63 } } }), 'runtime_config.parameters.n', '2^53'),
  runCase('an integer parameter of -2^63 as text', () => ({ pipeline_spec: intSpec(), runtime_config: { parameters: { n: '-9223372036854775808' } } }), 'runtime_config.parameters.n', '2^53'),
  runCase('an integer parameter of 2^53', () => ({ pipeline_spec: intSpec(), runtime_config: { parameters: { n: 2 ** 53 } } }), 'runtime_config.parameters.n', '2^53'),
  runCase('an integer parameter of 1e300', () => ({ pipeline_spec: intSpec(), runtime_config: { parameters: { n: 1e300 } } }), 'runtime_config.parameters.n'),
  runCase('an integer parameter that is a fraction', () => ({ pipeline_spec: intSpec(), runtime_config: { parameters: { n: 1.5 } } }), 'runtime_config.parameters.n'),
  runCase('a NUL byte in a parameter value', () => ({ pipeline_spec: strSpec(), runtime_config: { parameters: { s: `a${NUL}` } } }), 'runtime_config.parameters.s', 'NUL'),
  runCase('a NUL byte in a parameter name', () => ({ pipeline_spec: strSpec(), runtime_config: { parameters: { [`s${NUL}`]: 'a' } } }), /^runtime_config\.parameters\[/, 'NUL'),
  runCase('a parameter of 2 MiB', () => ({ pipeline_spec: strSpec(), runtime_config: { parameters: { s: 'x'.repeat(2 * 1024 * 1024) } } }), 'runtime_config.parameters.s', 'byte limit of one parameter'),
  runCase('an unknown parameter', () => ({ pipeline_spec: strSpec(), runtime_config: { parameters: { s: 'a', t: 'b' } } }), 'runtime_config.parameters.t', 'unknown parameter'),
  runCase('a parameter nested 200 levels', () => ({ pipeline_spec: strSpec(), runtime_config: { parameters: { s: JSON.parse(deepJson(200)) } } }), /^runtime_config\.parameters\.s/, 'nested'),
  runCase('pipeline_root /proc/self', withRoot('/proc/self'), 'runtime_config.pipeline_root', 'outside the allowed pipeline roots'),
  runCase('pipeline_root /etc', withRoot('/etc'), 'runtime_config.pipeline_root', 'outside the allowed pipeline roots'),
  runCase('pipeline_root file:///etc/cron.d', withRoot('file:///etc/cron.d'), 'runtime_config.pipeline_root', 'outside'),
  runCase('pipeline_root climbing out with ..', withRoot((s) => `${s.artifactRoot}/../../etc`), 'runtime_config.pipeline_root', 'outside'),
  runCase('pipeline_root beside the artifact root', withRoot((s) => `${s.artifactRoot}-evil`), 'runtime_config.pipeline_root', 'outside'),
  runCase('pipeline_root /', withRoot('/'), 'runtime_config.pipeline_root', 'outside'),
  runCase('a relative pipeline_root', withRoot('artifacts'), 'runtime_config.pipeline_root', 'absolute directory'),
  runCase('an s3 pipeline_root', withRoot('s3://bucket/root'), 'runtime_config.pipeline_root'),
  runCase('a file URL with a host', withRoot('file://evil.example/etc'), 'runtime_config.pipeline_root'),
  runCase('a NUL byte in pipeline_root', withRoot(`/tmp/a${NUL}`), 'runtime_config.pipeline_root', 'NUL'),
  runCase('an experiment that does not exist', () => runBody({ experiment_id: 'no-such-experiment' }), 'experiment_id', undefined, 404),
  runCase('an experiment id over 128 characters', () => runBody({ experiment_id: 'e'.repeat(129) }), 'experiment_id', 'longer than 128'),
  runCase('an experiment id with a NUL byte', () => runBody({ experiment_id: NUL }), 'experiment_id', 'NUL'),
  runCase('a pipeline id with a NUL byte', () => ({ pipeline_version_reference: { pipeline_id: `p${NUL}` } }), 'pipeline_version_reference.pipeline_id', 'NUL'),
  runCase('a pipeline id over 128 characters', () => ({ pipeline_version_reference: { pipeline_id: 'p'.repeat(200) } }), 'pipeline_version_reference.pipeline_id', 'longer than 128'),
  runCase('a version id with a NUL byte', (s) => ({ pipeline_version_reference: { pipeline_id: s.pipelineId, pipeline_version_id: NUL } }), 'pipeline_version_reference.pipeline_version_id', 'NUL'),
  runCase('a version of another pipeline', (s) => ({ pipeline_version_reference: { pipeline_id: s.pipelineId, pipeline_version_id: s.runId } }), 'pipeline_version_reference.pipeline_version_id', undefined, 404),
  runCase('both sources', (s) => runBody({ pipeline_version_reference: { pipeline_id: s.pipelineId } }), 'pipeline_spec'),
  runCase('a service account', () => runBody({ service_account: 'root' }), 'service_account'),
  runCase('a misspelt runtime_config field', () => runBody({ runtime_config: { paramaters: {} } }), 'runtime_config.paramaters', 'unknown field'),
  runCase('input artifacts that do not exist', () => runBody({ runtime_config: { input_artifacts: { data: { artifact_id: 'nope' } } } }), /^runtime_config\.input_artifacts/),
  runCase('a spec too large for a Temporal payload even compressed', () => ({ pipeline_spec: blobSpec('too-large', incompressibleString(3 * 1024 * 1024)) }), 'pipeline_spec', 'after compression'),
  runCase(
    'parameters too large together for a Temporal payload',
    () => {
      // Each under the 1 MiB limit of one parameter; together over the 1.5 MiB of a start input.
      const names = ['blob', 'more', 'most'];
      const spec = blobSpec('too-large-parameters');
      spec.root.inputDefinitions = { parameters: Object.fromEntries(names.map((n) => [n, { parameterType: 'STRING' }])) } as typeof spec.root.inputDefinitions;
      return { pipeline_spec: spec, runtime_config: { parameters: Object.fromEntries(names.map((n) => [n, incompressibleString(900 * 1024)])) } };
    },
    'runtime_config.parameters',
    'after compression',
  ),
  runCase('a spec that is a list', () => ({ pipeline_spec: [] }), 'pipeline_spec'),
  runCase('a spec without pipelineInfo', () => ({ pipeline_spec: { root: {} } }), /^pipeline_spec/),
];

// ---------------------------------------------------------------------------------------------
// Multipart uploads: broken forms, hostile YAML, oversized files, bad query fields.

const BOUNDARY = 'hostileBoundary7MA4YWxkTrZu0gW';

/** A well-formed multipart form with one file part. */
function multipartForm(fileName: string, content: string | Buffer, field = 'uploadfile'): FormData {
  const form = new FormData();
  form.append(field, new Blob([content]), fileName);
  return form;
}

const raw = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'));
const MULTIPART = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

/** YAML whose anchors double at each level: 10 levels of 10 aliases ("billion laughs"). */
function billionLaughs(): string {
  let text = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  return text;
}

/** A valid spec (as YAML) whose container command repeats an 8 KB anchored string `uses` times. */
function aliasAmplifier(anchorBytes: number, uses: number): string {
  const spec = tinySpec('amplified');
  const yaml = JSON.stringify(spec, null, 1);
  const big = 'x'.repeat(anchorBytes);
  // Put the anchor in pipelineInfo.description and its uses in the command.
  return yaml
    .replace('"name": "amplified"', `"name": "amplified", "description": &big "${big}"`)
    .replace('"hello"', ['"hello"', ...Array(uses).fill('*big')].join(', '));
}

/** Block-style YAML nested `depth` mappings deep. */
function deepBlockYaml(depth: number): string {
  let text = '';
  for (let i = 0; i < depth; i++) text += `${' '.repeat(i)}k${i}:\n`;
  return `${text}${' '.repeat(depth)}v: 1\n`;
}

const UPLOAD_ROUTES: { route: string; path: (s: Seeded) => string }[] = [
  { route: 'POST /pipelines/upload', path: () => `${P}/pipelines/upload` },
  { route: 'POST /pipelines/upload_version', path: (s) => `${P}/pipelines/upload_version?pipelineid=${s.pipelineId}` },
];

const UPLOAD_ATTACKS: Attack<unknown>[] = [
  { what: 'no file at all', body: () => { const f = new FormData(); f.append('name', 'x'); return f; }, status: 400, field: 'uploadfile', message: 'required' },
  { what: 'the file under another field', body: () => multipartForm('p.yaml', 'a: 1', 'file'), status: 400, field: 'file' },
  { what: 'two files', body: () => { const f = multipartForm('p.yaml', 'a: 1'); f.append('uploadfile', new Blob(['b: 2']), 'q.yaml'); return f; }, status: 400 },
  { what: 'a multipart type without a boundary', headers: { 'content-type': 'multipart/form-data' }, body: () => raw('--x\nContent-Disposition: form-data; name="uploadfile"; filename="p.yaml"\n\na: 1\n--x--\n'), status: 400, field: 'uploadfile', message: 'multipart' },
  { what: 'a body that never closes its part', headers: MULTIPART, body: () => raw(`--${BOUNDARY}\nContent-Disposition: form-data; name="uploadfile"; filename="p.yaml"\n\na: 1\n`), status: 400, field: 'uploadfile', message: 'multipart' },
  { what: 'another boundary than announced', headers: MULTIPART, body: () => raw('--other\nContent-Disposition: form-data; name="uploadfile"; filename="p.yaml"\n\na: 1\n--other--\n'), status: 400 },
  { what: 'a part without headers', headers: MULTIPART, body: () => raw(`--${BOUNDARY}\n\na: 1\n--${BOUNDARY}--\n`), status: 400 },
  { what: 'a part header that is garbage', headers: MULTIPART, body: () => raw(`--${BOUNDARY}\n\u0001\u0002: ::\nnonsense\n\na: 1\n--${BOUNDARY}--\n`), status: 400 },
  { what: 'an empty body', headers: MULTIPART, body: () => Buffer.alloc(0), status: 400, field: 'uploadfile' },
  { what: 'a gzip Content-Encoding', headers: { ...MULTIPART, 'content-encoding': 'gzip' }, body: () => raw(`--${BOUNDARY}\n--${BOUNDARY}--\n`), status: 415, field: 'Content-Encoding' },
  { what: 'a JSON body', headers: JSON_HEADERS, body: () => JSON.stringify(tinySpec('json-upload')), status: 415, field: 'Content-Type' },
  { what: 'a file over the upload limit', body: () => multipartForm('p.yaml', `# ${'x'.repeat(LIMITS.maxUploadBytes + 1)}\n`), status: 413, field: 'uploadfile', message: 'larger than the 1 MiB limit' },
  { what: 'a form field over 64 KiB', body: () => { const f = multipartForm('p.yaml', 'a: 1'); f.append('note', 'x'.repeat(70 * 1024)); return f; }, status: 413, field: 'note' },
  { what: 'YAML nested 100,000 flow levels', body: () => multipartForm('p.yaml', deepJson(100_000)), status: 400, field: 'uploadfile', message: 'nested more than 100 levels' },
  { what: 'YAML nested 1,000 block levels', body: () => multipartForm('p.yaml', deepBlockYaml(1000)), status: 400, field: 'uploadfile', message: 'nested more than 100 levels' },
  { what: 'JSON nested 100,000 levels in a .json file', body: () => multipartForm('p.json', `{"a": ${deepJson(100_000)}}`), status: 400, field: 'uploadfile', message: 'nested' },
  { what: 'a YAML billion-laughs alias bomb', body: () => multipartForm('p.yaml', billionLaughs()), status: 400, field: 'uploadfile', message: 'aliases' },
  { what: 'an alias to no anchor', body: () => multipartForm('p.yaml', 'pipelineInfo: *nowhere\n'), status: 400, field: 'uploadfile', message: 'Unresolved alias' },
  { what: 'a 0.8 MB document that expands to 80 MB', body: () => multipartForm('p.yaml', aliasAmplifier(800_000, 99)), status: 400, field: 'uploadfile', message: 'expands to more than' },
  { what: 'a NUL escape in YAML', body: () => multipartForm('p.yaml', 'pipelineInfo:\n  name: "a\\0b"\n'), status: 400, field: 'uploadfile.pipelineInfo.name', message: 'NUL' },
  { what: 'a NUL escape in a YAML key', body: () => multipartForm('p.yaml', 'pipelineInfo:\n  name: p\n"k\\0": 1\n'), status: 400, field: /^uploadfile\[/, message: 'NUL' },
  { what: 'binary data', body: () => multipartForm('p.yaml', Buffer.from([0, 1, 2, 3, 0xff])), status: 400, field: 'uploadfile' },
  { what: 'a ZIP archive', body: () => multipartForm('p.zip', Buffer.from('PK\u0003\u0004')), status: 400, field: 'uploadfile' },
  { what: 'text that is not UTF-8', body: () => multipartForm('p.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28])), status: 400, field: 'uploadfile' },
  { what: 'three YAML documents', body: () => multipartForm('p.yaml', 'a: 1\n---\nb: 2\n---\nc: 3\n'), status: 400, field: 'uploadfile' },
  { what: 'a YAML syntax error', body: () => multipartForm('p.yaml', 'a: [1, 2\n'), status: 400, field: 'uploadfile' },
  { what: 'a task named ../../x', body: () => multipartForm('p.json', JSON.stringify(renameTask('../../x'))), status: 400, field: 'uploadfile.root.dag.tasks["../../x"]' },
  { what: 'an integer default of 2^63 in YAML', body: () => multipartForm('p.yaml', JSON.stringify(tinySpec('big-int', { n: { parameterType: 'NUMBER_INTEGER' } })).replace('"NUMBER_INTEGER"', '"NUMBER_INTEGER", "defaultValue": 9223372036854775807')), status: 400, field: /^uploadfile\.components\.comp-echo\.inputDefinitions\.parameters\.n\.defaultValue$/, message: '2^53' },
];

const uploadCases = postCases(UPLOAD_ROUTES, UPLOAD_ATTACKS);

const spec = () => multipartForm('p.yaml', JSON.stringify(tinySpec('hostile-upload')));
const uploadQuery = (route: string, path: (s: Seeded) => string, what: string, field: string, message?: string, status = 400): HostileCase => ({
  route,
  what,
  method: 'POST',
  path,
  body: spec,
  status,
  field,
  message,
});
const UP = `${P}/pipelines/upload`;
const UPV = `${P}/pipelines/upload_version`;
const uploadQueryCases: HostileCase[] = [
  uploadQuery('POST /pipelines/upload', () => `${UP}?name=%00`, '?name with a NUL byte', 'name', 'NUL'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?name=${'n'.repeat(256)}`, '?name over 255 characters', 'name', 'longer than 255'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?name=%20%20%20`, '?name only whitespace', 'name', 'blank'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?display_name=%09`, '?display_name only whitespace', 'display_name', 'blank'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?description=a%00`, '?description with a NUL byte', 'description', 'NUL'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?namespace=${'n'.repeat(64)}`, '?namespace over 63 characters', 'namespace'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?nmae=x`, '?an unknown parameter', 'nmae', 'unknown field'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?name=%zz`, '?a malformed escape', 'name', 'percent-encoding'),
  uploadQuery('POST /pipelines/upload', () => `${UP}?na%zzme=x`, '?a malformed escape in a name', 'na%zzme', 'percent-encoding'),
  uploadQuery('POST /pipelines/upload_version', () => UPV, '?no pipelineid', 'pipelineid', 'required'),
  uploadQuery('POST /pipelines/upload_version', () => `${UPV}?pipelineid=%00`, '?pipelineid with a NUL byte', 'pipelineid', 'NUL'),
  uploadQuery('POST /pipelines/upload_version', () => `${UPV}?pipelineid=${'p'.repeat(129)}`, '?pipelineid over 128 characters', 'pipelineid', 'longer than 128'),
  uploadQuery('POST /pipelines/upload_version', () => `${UPV}?pipelineid=no-such-pipeline`, '?pipelineid that does not exist', 'pipelineid', undefined, 404),
  uploadQuery('POST /pipelines/upload_version', (s) => `${UPV}?pipelineid=${s.pipelineId}&name=%20`, '?name only whitespace', 'name', 'blank'),
  uploadQuery('POST /pipelines/upload_version', (s) => `${UPV}?pipelineid=${s.pipelineId}&name=${'v'.repeat(300)}`, '?name over 255 characters', 'name'),
  uploadQuery('POST /pipelines/upload_version', (s) => `${UPV}?pipelineid=${s.pipelineId}&namespace=x`, '?namespace (not a version field)', 'namespace', 'unknown field'),
];

// ---------------------------------------------------------------------------------------------
// The codec, unknown routes and the dashboard's static files.

const CODEC = '/codec';
const codecPayload = (metadata: Record<string, string>, data: string) => JSON.stringify({ payloads: [{ metadata, data }] });
const b64 = (text: string) => Buffer.from(text).toString('base64');
const codecCases: HostileCase[] = ['decode', 'encode'].flatMap((op) => [
  { route: `POST /codec/${op}`, what: 'malformed JSON', method: 'POST', path: () => `${CODEC}/${op}`, headers: JSON_HEADERS, body: () => '{"payloads": [', status: 400, field: 'request body' },
  { route: `POST /codec/${op}`, what: 'payloads that are not a list', method: 'POST', path: () => `${CODEC}/${op}`, headers: JSON_HEADERS, body: () => '{"payloads": 1}', status: 400, field: 'payloads' },
  { route: `POST /codec/${op}`, what: 'data that is not base64', method: 'POST', path: () => `${CODEC}/${op}`, headers: JSON_HEADERS, body: () => codecPayload({}, '***'), status: 400, field: /payloads/ },
  { route: `POST /codec/${op}`, what: 'JSON nested 100,000 levels', method: 'POST', path: () => `${CODEC}/${op}`, headers: JSON_HEADERS, body: () => `{"payloads": ${deepJson(100_000)}}`, status: 400, field: /^payloads/ },
  { route: `POST /codec/${op}`, what: 'an unknown Content-Encoding', method: 'POST', path: () => `${CODEC}/${op}`, headers: { ...JSON_HEADERS, 'content-encoding': 'lzma' }, body: () => '{}', status: 415 },
  { route: `POST /codec/${op}`, what: 'a body over the limit', method: 'POST', path: () => `${CODEC}/${op}`, headers: JSON_HEADERS, body: () => codecPayload({}, 'A'.repeat(LIMITS.maxBodyBytes + 10)), status: 413 },
  { route: `POST /codec/${op}`, what: 'a NUL byte in a metadata key', method: 'POST', path: () => `${CODEC}/${op}`, headers: JSON_HEADERS, body: () => codecPayload({ [`e${NUL}`]: b64('x') }, ''), status: 400, message: 'NUL' },
]);
codecCases.push({
  route: 'POST /codec/decode',
  what: 'a gzip payload that is not gzip',
  method: 'POST',
  path: () => `${CODEC}/decode`,
  headers: JSON_HEADERS,
  body: () => codecPayload({ encoding: b64('binary/gzip') }, b64('not gzip at all')),
  status: 400,
  field: 'payloads',
});

const otherCases: HostileCase[] = [
  { route: 'POST /healthz', what: 'a method the route does not have', method: 'POST', path: () => `${P}/healthz`, headers: JSON_HEADERS, body: () => '{}', status: 404 },
  { route: 'PUT /runs', what: 'a method the API does not have', method: 'PUT', path: () => `${P}/runs`, headers: JSON_HEADERS, body: () => '{}', status: 404 },
  { route: 'PATCH /pipelines/{id}', what: 'a method the API does not have', method: 'PATCH', path: (s) => `${P}/pipelines/${s.pipelineId}`, headers: JSON_HEADERS, body: () => '{}', status: 404 },
  { route: 'POST /runs/{id}:retry', what: 'retry of a run that has not finished', method: 'POST', path: (s) => `${P}/runs/${s.runId}:retry`, status: 409 },
  { route: 'POST /runs/{id}:retry', what: 'retry with a text/plain body', method: 'POST', path: (s) => `${P}/runs/${s.runId}:retry`, headers: { 'content-type': 'text/plain' }, body: () => 'again', status: 415, field: 'Content-Type' },
  { route: 'GET /apis/v2beta1/…', what: 'an unknown API path', method: 'GET', path: () => `${P}/secrets`, status: 404 },
  { route: 'GET /apis/v2beta1/…', what: 'an unknown API path with a malformed escape', method: 'GET', path: () => `${P}/%zz/%`, status: 404 },
  { route: 'GET /apis/v1beta1/…', what: 'KFP\'s v1 API', method: 'GET', path: () => '/apis/v1beta1/runs', status: 404 },
  { route: 'GET /runs', what: 'a URL over Node\'s 16 KiB header limit', method: 'GET', path: () => `${P}/runs?filter=${'x'.repeat(20_000)}`, status: 431, field: 'request' },
  { route: 'GET /runs/{id}', what: 'a header over Node\'s 16 KiB header limit', method: 'GET', path: (s) => `${P}/runs/${s.runId}`, headers: { 'x-padding': 'p'.repeat(20_000) }, status: 431, field: 'request' },
  { route: 'DELETE /experiments/{id}', what: 'deleting the Default experiment', method: 'DELETE', path: () => `${P}/experiments/00000000-0000-0000-0000-000000000001` },
  { route: 'DELETE /runs/{id}', what: 'deleting a run that has not finished', method: 'DELETE', path: (s) => `${P}/runs/${s.runId}`, status: 400 },
  { route: 'DELETE /pipelines/{id}', what: 'deleting a pipeline with versions, without cascade', method: 'DELETE', path: (s) => `${P}/pipelines/${s.pipelineId}`, status: 400 },
  { route: 'POST /runs/{id}:terminate', what: 'a text/plain body', method: 'POST', path: (s) => `${P}/runs/${s.runId}:terminate`, headers: { 'content-type': 'text/plain' }, body: () => 'stop', status: 415, field: 'Content-Type' },
  { route: 'POST /runs/{id}:terminate', what: 'an unknown Content-Encoding', method: 'POST', path: (s) => `${P}/runs/${s.runId}:terminate`, headers: { ...JSON_HEADERS, 'content-encoding': 'x-evil' }, body: () => '{}', status: 415, field: 'Content-Encoding' },
  { route: 'POST /runs/{id}:terminate', what: 'malformed JSON', method: 'POST', path: (s) => `${P}/runs/${s.runId}:terminate`, headers: JSON_HEADERS, body: () => '{', status: 400 },
  { route: 'POST /runs/{id}:archive', what: 'JSON nested 100,000 levels', method: 'POST', path: (s) => `${P}/runs/${s.runId}:archive`, headers: JSON_HEADERS, body: () => deepJson(100_000), status: 400 },
];

/** Routes that read no query: any parameter is refused, naming it. */
const NO_QUERY_ROUTES: [string, string, (s: Seeded) => string][] = [
  ['GET /tokens', 'GET', () => `${P}/tokens?expand=all`],
  ['POST /tokens', 'POST', () => `${P}/tokens?expand=all`],
  ['GET /pipelines/{id}', 'GET', (s) => `${P}/pipelines/${s.pipelineId}?expand=all`],
  ['GET /pipelines/{id}/versions/{vid}', 'GET', (s) => `${P}/pipelines/${s.pipelineId}/versions/${s.versionId}?expand=all`],
  ['DELETE /pipelines/{id}/versions/{vid}', 'DELETE', (s) => `${P}/pipelines/${s.pipelineId}/versions/${s.versionId}?expand=all`],
  ['GET /experiments/{id}', 'GET', (s) => `${P}/experiments/${s.experimentId}?expand=all`],
  ['DELETE /experiments/{id}', 'DELETE', (s) => `${P}/experiments/${s.experimentId}?expand=all`],
  ['POST /experiments/{id}:archive', 'POST', (s) => `${P}/experiments/${s.experimentId}:archive?expand=all`],
  ['GET /runs/{id}', 'GET', (s) => `${P}/runs/${s.runId}?expand=all`],
  ['DELETE /runs/{id}', 'DELETE', (s) => `${P}/runs/${s.runId}?expand=all`],
  ['POST /runs/{id}:terminate', 'POST', (s) => `${P}/runs/${s.runId}:terminate?expand=all`],
  ['POST /runs/{id}:retry', 'POST', (s) => `${P}/runs/${s.runId}:retry?expand=all`],
  ['POST /runs/{id}:archive', 'POST', (s) => `${P}/runs/${s.runId}:archive?expand=all`],
  ['GET /runs/{id}/artifacts', 'GET', (s) => `${P}/runs/${s.runId}/artifacts?expand=all`],
  ['GET /artifacts/{id}', 'GET', () => `${P}/artifacts/x?expand=all`],
  ['POST /recurringruns', 'POST', () => `${P}/recurringruns?expand=all`],
  ['GET /recurringruns/{id}', 'GET', (s) => `${P}/recurringruns/${s.recurringRunId}?expand=all`],
  ['DELETE /recurringruns/{id}', 'DELETE', (s) => `${P}/recurringruns/${s.recurringRunId}?expand=all`],
  ['POST /recurringruns/{id}:enable', 'POST', (s) => `${P}/recurringruns/${s.recurringRunId}:enable?expand=all`],
  ['POST /recurringruns/{id}:disable', 'POST', (s) => `${P}/recurringruns/${s.recurringRunId}:disable?expand=all`],
  ['POST /recurringruns/{id}:trigger', 'POST', (s) => `${P}/recurringruns/${s.recurringRunId}:trigger?expand=all`],
  ['POST /recurringruns/{id}:backfill', 'POST', (s) => `${P}/recurringruns/${s.recurringRunId}:backfill?expand=all`],
];
const noQueryCases: HostileCase[] = NO_QUERY_ROUTES.map(([route, method, path]) => ({ route, what: '?a parameter the route does not read', method, path, status: 400, field: 'expand', message: 'unknown field' }));

const STATIC_PATHS: [string, string][] = [
  ['a NUL byte', '/%00'],
  ['a NUL byte after a file name', '/app.js%00.html'],
  ['an encoded traversal', '/..%2f..%2f..%2fetc%2fpasswd'],
  ['a double-encoded traversal', '/%252e%252e%252fetc%252fpasswd'],
  ['a malformed escape', '/%zz'],
  ['a lone percent sign', '/index.html%'],
  ['a backslash traversal', '/..%5c..%5cetc%5cpasswd'],
  ['a file that does not exist', '/no-such-file.js'],
  ['a dotfile', '/.env'],
  ['a very long path', `/${'a'.repeat(5000)}`],
];
const staticCases: HostileCase[] = STATIC_PATHS.map(([what, path]) => ({ route: 'GET / (dashboard files)', what, method: 'GET', path: () => path, status: 404 }));

// Token management (admin scope): a bad request creates no token.
const tokenBody = (fields: Record<string, unknown>) => json({ name: 'hostile-token', ...fields });
const tokenCases: HostileCase[] = [
  ['an empty name', tokenBody({ name: '' }), 'name'],
  ['a blank name', tokenBody({ name: '   ' }), 'name'],
  ['a name over 255 characters', tokenBody({ name: 'n'.repeat(256) }), 'name'],
  ['a name with a NUL byte', tokenBody({ name: `a${NUL}b` }), /name/],
  ['an unknown scope', tokenBody({ scope: 'root' }), 'scope'],
  ['namespaces that are not a list', tokenBody({ namespaces: 'team-a' }), 'namespaces'],
  ['a namespace over 63 characters', tokenBody({ namespaces: ['n'.repeat(64)] }), /namespaces/],
  ['a negative lifetime', tokenBody({ expires_in_seconds: -1 }), 'expires_in_seconds'],
  ['a lifetime that is not a number', tokenBody({ expires_in_seconds: '90d' }), 'expires_in_seconds'],
  ['an unknown field', tokenBody({ secret: 'mine' }), undefined],
].map(([what, body, field]) => ({ route: 'POST /tokens', what: what as string, method: 'POST', path: () => `${P}/tokens`, headers: JSON_HEADERS, body: body as () => string, status: 400, field: field as string | RegExp | undefined }));

// Recurring runs: triggers, policies and backfill ranges that must be refused before any row or schedule.
const recurringCase = (what: string, extra: Record<string, unknown>, field: string | RegExp, message?: string, status = 400): HostileCase => ({
  route: 'POST /recurringruns',
  what,
  method: 'POST',
  path: () => `${P}/recurringruns`,
  headers: JSON_HEADERS,
  body: () => JSON.stringify(recurringBody(extra)),
  status,
  field,
  message,
});
const cron = (c: Record<string, unknown>) => ({ trigger: { cron_schedule: c } });
const every = (p: Record<string, unknown>) => ({ trigger: { periodic_schedule: p } });
const recurringCases: HostileCase[] = [
  recurringCase('no trigger', { trigger: undefined }, 'trigger'),
  recurringCase('a trigger that is a string', { trigger: '@daily' }, 'trigger'),
  recurringCase('an empty trigger', { trigger: {} }, 'trigger.cron_schedule', 'exactly one'),
  recurringCase('both a cron and an interval', { trigger: { cron_schedule: { cron: '@daily' }, periodic_schedule: { interval_second: 60 } } }, 'trigger.cron_schedule', 'exactly one'),
  recurringCase('an unknown trigger field', { trigger: { cron_schedule: { cron: '@daily' }, calendar: 'x' } }, 'trigger.calendar', 'unknown field'),
  recurringCase('a cron that is not one', cron({ cron: 'whenever' }), 'trigger.cron_schedule.cron'),
  recurringCase('a cron with second 61', cron({ cron: '61 * * * * *' }), 'trigger.cron_schedule.cron'),
  recurringCase('a cron of 256 characters', cron({ cron: `0 0 0 1 1 ${'*'.repeat(246)}` }), 'trigger.cron_schedule.cron', 'longer than 255'),
  recurringCase('a cron with a NUL byte', cron({ cron: `0 0 0 1 1 *${NUL}` }), 'trigger.cron_schedule.cron', 'NUL'),
  recurringCase('a cron that is a number', cron({ cron: 5 }), 'trigger.cron_schedule.cron'),
  recurringCase('an unknown time zone', cron({ cron: '@daily', time_zone: 'Mars/Olympus_Mons' }), 'trigger.cron_schedule.time_zone'),
  recurringCase('a time zone of 65 characters', cron({ cron: '@daily', time_zone: 'Z'.repeat(65) }), 'trigger.cron_schedule.time_zone', 'longer than 64'),
  recurringCase('a time zone climbing directories', cron({ cron: '@daily', time_zone: '../../etc/passwd' }), 'trigger.cron_schedule.time_zone'),
  recurringCase('a start time that is not RFC3339', cron({ cron: '@daily', start_time: 'next tuesday' }), 'trigger.cron_schedule.start_time'),
  recurringCase('a start time of 10,000 characters', cron({ cron: '@daily', start_time: '2'.repeat(10_000) }), 'trigger.cron_schedule.start_time'),
  recurringCase('an end before the start', cron({ cron: '@daily', start_time: '2030-01-02T00:00:00Z', end_time: '2030-01-01T00:00:00Z' }), 'trigger.cron_schedule.end_time'),
  recurringCase('an interval of 0', every({ interval_second: 0 }), 'trigger.periodic_schedule.interval_second'),
  recurringCase('a negative interval', every({ interval_second: -60 }), 'trigger.periodic_schedule.interval_second'),
  recurringCase('a fractional interval', every({ interval_second: 1.5 }), 'trigger.periodic_schedule.interval_second'),
  recurringCase('an interval of 10^12 seconds', every({ interval_second: 1e12 }), 'trigger.periodic_schedule.interval_second', 'ten years'),
  recurringCase('an interval of 400 digits', every({ interval_second: '9'.repeat(400) }), 'trigger.periodic_schedule.interval_second'),
  recurringCase('an interval that is text', every({ interval_second: 'hourly' }), 'trigger.periodic_schedule.interval_second'),
  recurringCase('max_concurrency 2 (a Schedule bounds one)', { max_concurrency: 2 }, 'max_concurrency'),
  recurringCase('max_concurrency 11', { max_concurrency: '11' }, 'max_concurrency'),
  recurringCase('max_concurrency that is text', { max_concurrency: 'many' }, 'max_concurrency'),
  recurringCase('an unknown mode', { mode: 'SOMETIMES' }, 'mode'),
  recurringCase('no_catchup that is text', { no_catchup: 'yes' }, 'no_catchup'),
  recurringCase('a namespace other than its experiment\'s', { namespace: 'team-x' }, 'namespace', 'experiment\'s namespace'),
  recurringCase('a namespace over 63 characters', { namespace: 'n'.repeat(64) }, 'namespace', 'longer than 63'),
  recurringCase('an experiment that does not exist', { experiment_id: 'no-such-experiment' }, 'experiment_id', undefined, 404),
  recurringCase('a pipeline that does not exist', { pipeline_spec: undefined, pipeline_version_reference: { pipeline_id: 'no-such-pipeline' } }, 'pipeline_version_reference.pipeline_id', undefined, 404),
  recurringCase('both a spec and a pipeline version', { pipeline_version_reference: { pipeline_id: 'p' } }, 'pipeline_spec'),
  recurringCase('a parameter of the wrong type', { pipeline_spec: tinySpec('hostile-params', { n: { parameterType: 'NUMBER_INTEGER' } }), runtime_config: { parameters: { n: 'x' } } }, 'runtime_config.parameters.n'),
  recurringCase('pipeline_root /etc', { runtime_config: { pipeline_root: '/etc' } }, 'runtime_config.pipeline_root', 'outside'),
];
const backfill = (what: string, body: unknown, field: string | RegExp, headers: Record<string, string> = JSON_HEADERS): HostileCase => ({
  route: 'POST /recurringruns/{id}:backfill',
  what,
  method: 'POST',
  path: (s) => `${P}/recurringruns/${s.recurringRunId}:backfill`,
  headers,
  body: () => (typeof body === 'string' ? body : JSON.stringify(body)),
  status: 400,
  field,
});
const backfillCases: HostileCase[] = [
  backfill('no range', {}, 'start_time'),
  backfill('an end before the start', { start_time: '2026-01-02T00:00:00Z', end_time: '2026-01-01T00:00:00Z' }, 'end_time'),
  backfill('times that are not RFC3339', { start_time: 'yesterday', end_time: 'today' }, 'start_time'),
  backfill('times that are numbers', { start_time: 0, end_time: 1 }, 'start_time'),
  backfill('an unknown field', { start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-02T00:00:00Z', overlap: 'ALLOW_ALL' }, 'overlap'),
  backfill('malformed JSON', '{"start_time": ', 'request body'),
];
// The task cache's entries (Sluice extension): strict, bounded filters; a misspelt filter on the
// DELETE must be refused, not read as "no filter", which would clear every entry.
const CACHE = `${P}/cache/entries`;
const FINGERPRINT = 'a'.repeat(64);
const CACHE_ATTACKS: { what: string; query: string; field: string; message?: string; list?: boolean }[] = [
  { what: 'an unknown parameter', query: 'pipelinename=x', field: 'pipelinename', message: 'unknown field' },
  { what: 'a page token (entries are not paged)', query: 'page_token=x', field: 'page_token', message: 'unknown field' },
  { what: 'a pipeline name with a NUL byte', query: 'pipeline_name=a%00', field: 'pipeline_name', message: 'NUL' },
  { what: 'a pipeline name over 128 characters', query: `pipeline_name=${'p'.repeat(129)}`, field: 'pipeline_name', message: 'longer than 128' },
  { what: 'two pipeline names', query: 'pipeline_name=a&pipeline_name=b', field: 'pipeline_name' },
  { what: 'a fingerprint that is not hex', query: `fingerprint=${'z'.repeat(64)}`, field: 'fingerprint', message: 'fingerprint' },
  { what: 'a fingerprint of 63 digits', query: `fingerprint=${FINGERPRINT.slice(1)}`, field: 'fingerprint' },
  { what: 'a fingerprint of 10,000 characters', query: `fingerprint=${'a'.repeat(10_000)}`, field: 'fingerprint' },
  { what: 'a fingerprint with SQL', query: `fingerprint=${encodeURIComponent("' OR '1'='1")}`, field: 'fingerprint' },
  { what: 'a fingerprint with a NUL byte', query: `fingerprint=${FINGERPRINT}%00`, field: 'fingerprint', message: 'NUL' },
  { what: 'a namespace over 63 characters', query: `namespace=${'n'.repeat(64)}`, field: 'namespace', message: 'longer than 63' },
  { what: 'a namespace with a NUL byte', query: 'namespace=a%00', field: 'namespace', message: 'NUL' },
  { what: 'a malformed percent escape', query: 'pipeline_name=%zz', field: 'pipeline_name', message: 'percent-encoding' },
  { what: 'a negative page size', query: 'page_size=-1', field: 'page_size', list: true },
  { what: 'a page size over 1,000', query: 'page_size=1001', field: 'page_size', list: true },
  { what: 'a page size that is not a number', query: 'page_size=ten', field: 'page_size', list: true },
  { what: 'a fractional page size', query: 'page_size=1.5', field: 'page_size', list: true },
  { what: 'a page size on a clear', query: 'page_size=10', field: 'page_size', message: 'unknown field', list: false },
];
const cacheCases: HostileCase[] = (['GET', 'DELETE'] as const).flatMap((method) =>
  CACHE_ATTACKS.filter((a) => a.list === undefined || a.list === (method === 'GET')).map((a) => ({
    route: `${method} /cache/entries`,
    what: `?${a.what}`,
    method,
    path: () => `${CACHE}?${a.query}`,
    status: 400,
    field: a.field,
    message: a.message,
  })),
);
cacheCases.push(
  { route: 'DELETE /cache/entries', what: 'a text/plain body', method: 'DELETE', path: () => CACHE, headers: { 'content-type': 'text/plain' }, body: () => 'all', status: 415, field: 'Content-Type' },
  { route: 'POST /cache/entries', what: 'a method the route does not have', method: 'POST', path: () => CACHE, headers: JSON_HEADERS, body: () => '{}', status: 404 },
  { route: 'DELETE /cache/entries/{fingerprint}', what: 'a path the API does not have', method: 'DELETE', path: () => `${CACHE}/${FINGERPRINT}`, status: 404 },
);

export const HOSTILE_CASES: HostileCase[] = [
  ...tokenCases,
  ...recurringCases,
  ...backfillCases,
  ...paramCases,
  ...queryCases,
  ...moreQueryCases,
  ...bodyCases,
  ...specCases,
  ...runCases,
  ...uploadCases,
  ...uploadQueryCases,
  ...codecCases,
  ...otherCases,
  ...noQueryCases,
  ...staticCases,
  ...cacheCases,
];
