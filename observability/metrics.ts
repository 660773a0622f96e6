import type { RequestHandler } from 'express';
import { DatabaseError } from 'pg';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isPostgresDown } from '../store/pg-errors';

/**
 * The process's own metrics: what the API and the worker observe as they work. Figures read
 * from the store or Temporal at scrape time (runs by state, queue depth) are gathered by the
 * `/metrics` route instead, so that several API apps in one process (the tests) share these.
 */
export const processMetrics = new Registry();
collectDefaultMetrics({ register: processMetrics });

const httpDuration = new Histogram({
  name: 'sluice_http_request_duration_seconds',
  help: 'API requests by method, matched route and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processMetrics],
});

const activityDuration = new Histogram({
  name: 'sluice_activity_duration_seconds',
  help: 'Activity attempts by activity type and outcome; runTask and runTaskInline are one attempt of a task (its launch watched to the end, until the worker lost it, or for runTaskInline until it was handed to runTask: detached)',
  labelNames: ['activity', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
  registers: [processMetrics],
});

const storeErrors = new Counter({
  name: 'sluice_store_errors_total',
  help: 'PostgreSQL errors that reached a request or an activity, by component and SQLSTATE (or "connection")',
  labelNames: ['component', 'code'] as const,
  registers: [processMetrics],
});

/**
 * Times every request under the route pattern that matched (`/apis/v2beta1/runs/:run_id`),
 * never the raw path: ids in labels would grow the series without bound.
 */
export const httpMetrics: RequestHandler = (req, res, next) => {
  const end = httpDuration.startTimer();
  res.once('finish', () => {
    const route = req.route?.path ? `${String(res.locals.mountPath ?? '')}${String(req.route.path)}` : 'unmatched';
    end({ method: req.method, route, status_code: String(res.statusCode) });
  });
  next();
};

/**
 * First in a mounted group of routers: remembers where they are mounted, since Express has
 * restored `req.baseUrl` by the time an error response finishes.
 */
export const rememberMountPath: RequestHandler = (req, res, next) => {
  res.locals.mountPath = req.baseUrl;
  next();
};

/** `detached`: a task's inline run that handed its still-running step to `runTask`. */
export type ActivityOutcome = 'succeeded' | 'detached' | 'failed' | 'canceled' | 'error';

export function observeActivity(activity: string, outcome: ActivityOutcome, seconds: number): void {
  activityDuration.observe({ activity, outcome }, seconds);
}

/** Counts `err` when it came from PostgreSQL; other errors are not the store's. */
export function countStoreError(component: 'api' | 'worker', err: unknown): void {
  const code = storeErrorCode(err);
  if (code) storeErrors.inc({ component, code });
}

function storeErrorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DatabaseError) return e.code ?? 'unknown';
    if (isPostgresDown(e)) return 'connection';
  }
  return undefined;
}

let sdkMetricsUrl: string | undefined;

/** Where this process's Temporal runtime serves the SDK's worker metrics (set once a worker runtime is installed). */
export function setTemporalSdkMetricsUrl(url: string): void {
  sdkMetricsUrl = url;
}


/** A source that cannot answer within this is left out of a scrape rather than stalling it. */
export const SOURCE_TIMEOUT_MS = 2_000;

/**
 * This process's metrics in Prometheus's text format: its own registry, then the Temporal
 * SDK's worker metrics when a worker runs here (left out if they do not answer in time).
 */
export async function processExposition(): Promise<string> {
  const sdk = await settle(sdkText(sdkMetricsUrl));
  return [await processMetrics.metrics(), sdk.ok ? sdk.value : ''].join('\n');
}

async function sdkText(url: string | undefined): Promise<string> {
  if (!url) return '';
  const res = await fetch(url, { signal: AbortSignal.timeout(SOURCE_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`the Temporal SDK's metrics answered ${res.status}`);
  return res.text();
}

/** `work`'s value, or `ok: false` when it fails or takes longer than `SOURCE_TIMEOUT_MS`. */
export async function settle<T>(work: Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), SOURCE_TIMEOUT_MS).unref());
  return Promise.race([work, timeout]).then((value) => ({ ok: true as const, value }), () => ({ ok: false as const }));
}
