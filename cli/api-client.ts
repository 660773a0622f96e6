import type { ApiCreatedToken, ApiExperiment, ApiPipeline, ApiPipelineVersion, ApiToken } from '../api/api-types';
import type { CreateTokenBody } from '../api/schemas/tokens';
import type { RunState } from '../ir/states';
import type { ApiCacheEntryList } from '../api/api-types';
import type {
  ApiErrorBody,
  CreateRecurringRunRequest,
  CreateRunRequest,
  ListRecurringRunsResponse,
  ListRunsResponse,
  PipelineSpecPayload,
  RecurringRun,
  Run,
} from './api-types';

export const DEFAULT_API_URL = 'http://127.0.0.1:8888';
const API_PREFIX = '/apis/v2beta1';
/** Ordinary calls answer in milliseconds; a server that takes this long is as good as unreachable. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Thrown when the API answers with an error status; `message` is the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** For `.catch`: `undefined` for an `ApiError` with one of `statuses` (what was asked for is not there); anything else is rethrown. */
export function absentOn(...statuses: number[]): (err: unknown) => undefined {
  return (err) => {
    if (err instanceof ApiError && statuses.includes(err.status)) return undefined;
    throw err;
  };
}

/** Thrown when no HTTP answer came back at all (refused, DNS failure, timeout); names the URL tried. */
export class ServerUnreachableError extends Error {
  constructor(
    readonly url: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot reach the Sluice API at ${url} (${reason}). Start it with \`sluice dev\`, ` +
        'or point --api / SLUICE_API at a running server.',
      options,
    );
  }
}

export interface ListRunsQuery {
  pageSize?: number;
  pageToken?: string;
  experimentId?: string;
  state?: RunState;
  /** Only the runs this recurring run started. */
  recurringRunId?: string;
}

/** A page of KFP's list response (`total_size` and `next_page_token` as the API sends them). */
export type ListPage<K extends string, T> = { [key in K]?: T[] } & { total_size?: number; next_page_token?: string };

/** The calls on one recurring run, each a POST of a custom method (`:enable`…; `:trigger` and `:backfill` are Sluice's). */
export type RecurringRunMethod = 'enable' | 'disable' | 'trigger' | 'backfill';

/** Typed calls to Sluice's KFP-v2beta1-shaped REST API. Every method throws `ApiError` or `ServerUnreachableError`. */
export class ApiClient {
  /**
   * @param baseUrl the server's root, e.g. `http://127.0.0.1:8888` (a trailing slash is ignored).
   * @param token sent as `Authorization: Bearer` with every request.
   */
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  createRun(request: CreateRunRequest): Promise<Run> {
    return this.json('POST', '/runs', request);
  }

  getRun(runId: string): Promise<Run> {
    return this.json('GET', `/runs/${encodeURIComponent(runId)}`);
  }

  /** Newest first. A state filter becomes KFP's JSON filter predicate on `state`. */
  listRuns(query: ListRunsQuery = {}): Promise<ListRunsResponse> {
    const params = new URLSearchParams({ sort_by: 'created_at desc' });
    if (query.pageSize !== undefined) params.set('page_size', String(query.pageSize));
    if (query.pageToken) params.set('page_token', query.pageToken);
    if (query.experimentId) params.set('experiment_id', query.experimentId);
    const predicates = [
      ...(query.state ? [{ key: 'state', operation: 'EQUALS', string_value: query.state }] : []),
      ...(query.recurringRunId ? [{ key: 'recurring_run_id', operation: 'EQUALS', string_value: query.recurringRunId }] : []),
    ];
    if (predicates.length) params.set('filter', JSON.stringify({ predicates }));
    return this.json('GET', `/runs?${params}`);
  }

  createExperiment(request: { display_name: string; description?: string }): Promise<ApiExperiment> {
    return this.json('POST', '/experiments', request);
  }

  getExperiment(experimentId: string): Promise<ApiExperiment> {
    return this.json('GET', `/experiments/${encodeURIComponent(experimentId)}`);
  }

  /** Newest first; `displayName` keeps only the experiment of exactly that name (kfp.Client's lookup). */
  listExperiments(query: { pageSize?: number; displayName?: string } = {}): Promise<ListPage<'experiments', ApiExperiment>> {
    const params = new URLSearchParams({ sort_by: 'created_at desc' });
    if (query.pageSize !== undefined) params.set('page_size', String(query.pageSize));
    if (query.displayName !== undefined) params.set('filter', JSON.stringify({ predicates: [{ key: 'display_name', operation: 'EQUALS', string_value: query.displayName }] }));
    return this.json('GET', `/experiments?${params}`);
  }

  async experimentMethod(experimentId: string, method: 'archive' | 'unarchive'): Promise<void> {
    await this.json('POST', `/experiments/${encodeURIComponent(experimentId)}:${method}`);
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.json('DELETE', `/experiments/${encodeURIComponent(experimentId)}`);
  }

  /** The pipeline of this name in `namespace` (`''`, the shared namespace, by default). */
  getPipelineByName(name: string, namespace = ''): Promise<ApiPipeline> {
    return this.json('GET', `/pipelines/names/${encodeURIComponent(name)}${namespace ? `?${new URLSearchParams({ namespace })}` : ''}`);
  }

  /** A pipeline and its first version, in one transaction (KFP's `CreatePipelineAndVersion`); `''` is the token's default namespace. */
  createPipelineAndVersion(name: string, namespace: string, spec: PipelineSpecPayload): Promise<ApiPipeline> {
    return this.json('POST', '/pipelines/create', { pipeline: { name, ...(namespace ? { namespace } : {}) }, pipeline_version: { pipeline_spec: spec } });
  }

  /** Newest first. */
  listPipelineVersions(pipelineId: string, query: { pageSize?: number } = {}): Promise<ListPage<'pipeline_versions', ApiPipelineVersion>> {
    const params = new URLSearchParams({ sort_by: 'created_at desc' });
    if (query.pageSize !== undefined) params.set('page_size', String(query.pageSize));
    return this.json('GET', `/pipelines/${encodeURIComponent(pipelineId)}/versions?${params}`);
  }

  createPipelineVersion(pipelineId: string, spec: PipelineSpecPayload): Promise<ApiPipelineVersion> {
    return this.json('POST', `/pipelines/${encodeURIComponent(pipelineId)}/versions`, { pipeline_spec: spec });
  }

  createRecurringRun(request: CreateRecurringRunRequest): Promise<RecurringRun> {
    return this.json('POST', '/recurringruns', request);
  }

  getRecurringRun(recurringRunId: string): Promise<RecurringRun> {
    return this.json('GET', `/recurringruns/${encodeURIComponent(recurringRunId)}`);
  }

  /** Newest first. */
  listRecurringRuns(query: { pageSize?: number; experimentId?: string } = {}): Promise<ListRecurringRunsResponse> {
    const params = new URLSearchParams({ sort_by: 'created_at desc' });
    if (query.pageSize !== undefined) params.set('page_size', String(query.pageSize));
    if (query.experimentId) params.set('experiment_id', query.experimentId);
    return this.json('GET', `/recurringruns?${params}`);
  }

  async recurringRunMethod(recurringRunId: string, method: RecurringRunMethod, body?: unknown): Promise<void> {
    await this.json('POST', `/recurringruns/${encodeURIComponent(recurringRunId)}:${method}`, body);
  }

  async deleteRecurringRun(recurringRunId: string): Promise<void> {
    await this.json('DELETE', `/recurringruns/${encodeURIComponent(recurringRunId)}`);
  }

  /** Sluice extension: the task cache's entries, newest first. */
  listCacheEntries(filter: CacheFilter & { pageSize?: number } = {}): Promise<ApiCacheEntryList> {
    return this.json('GET', `/cache/entries?${cacheQuery(filter)}`);
  }

  /** Sluice extension: deletes the matching cache entries (all without a filter); artifacts stay. */
  clearCacheEntries(filter: CacheFilter = {}): Promise<{ deleted_count: number }> {
    return this.json('DELETE', `/cache/entries?${cacheQuery(filter)}`);
  }

  async terminateRun(runId: string): Promise<void> {
    await this.json('POST', `/runs/${encodeURIComponent(runId)}:terminate`);
  }

  async retryRun(runId: string): Promise<void> {
    await this.json('POST', `/runs/${encodeURIComponent(runId)}:retry`);
  }

  /** Needs an admin token. */
  createToken(request: Partial<CreateTokenBody>): Promise<ApiCreatedToken> {
    return this.json('POST', '/tokens', request);
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.json<{ tokens?: ApiToken[] }>('GET', '/tokens')).tokens ?? [];
  }

  async revokeToken(tokenId: string): Promise<void> {
    await this.json('POST', `/tokens/${encodeURIComponent(tokenId)}:revoke`);
  }

  /**
   * Copies a task's log to `onChunk` as it arrives. With `follow`, the server keeps the response
   * open until the task ends, so this resolves only then; there is no timeout in that case.
   */
  async streamTaskLog(runId: string, taskName: string, opts: { follow: boolean }, onChunk: (text: string) => void): Promise<void> {
    const path = `/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskName)}/logs${opts.follow ? '?follow=true' : ''}`;
    const res = await this.send('GET', path, undefined, opts.follow ? undefined : REQUEST_TIMEOUT_MS);
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        const text = decoder.decode(chunk, { stream: true });
        if (text) onChunk(text);
      }
    } catch (err) {
      throw new ServerUnreachableError(this.baseUrl, `log stream broke off: ${networkReason(err)}`, { cause: err });
    }
    const rest = decoder.decode();
    if (rest) onChunk(rest);
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body, REQUEST_TIMEOUT_MS);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Sends one request; resolves only for a 2xx response. */
  private async send(method: string, path: string, body: unknown, timeoutMs: number | undefined): Promise<Response> {
    const url = `${this.baseUrl}${API_PREFIX}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ServerUnreachableError(this.baseUrl, networkReason(err), { cause: err });
    }
    if (!res.ok) throw new ApiError(res.status, await errorMessage(res), path);
    return res;
  }
}

/** Which cache entries a call applies to; unset matches all (of the namespaces the token reaches). */
export interface CacheFilter {
  pipelineName?: string;
  fingerprint?: string;
  namespace?: string;
}

function cacheQuery(filter: CacheFilter & { pageSize?: number }): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.pipelineName) params.set('pipeline_name', filter.pipelineName);
  if (filter.fingerprint) params.set('fingerprint', filter.fingerprint);
  if (filter.namespace !== undefined) params.set('namespace', filter.namespace);
  if (filter.pageSize !== undefined) params.set('page_size', String(filter.pageSize));
  return params;
}

/** The server's message from a KFP error body, else the raw text, else the status line. */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as ApiErrorBody;
    const message = body.error_message || body.message;
    if (message) return message;
  } catch {
    // Not JSON (a proxy's HTML page, say): the text itself is the best message there is.
  }
  return text.trim() || `${res.status} ${res.statusText}`;
}

/** fetch() hides the system error (ECONNREFUSED, ENOTFOUND…) in `cause`; that is the useful part. */
function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
  }
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
