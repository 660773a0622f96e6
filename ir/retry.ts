/**
 * KFP's task `retryPolicy` as the numbers a Temporal activity RetryPolicy needs.
 */
import { SpecValidationError, type SpecIssue } from './errors';
import type { RetryPolicy } from './types';

export interface RetrySettings {
  /** Total attempts, the first included: `maxRetryCount + 1`. 1 means no retry. */
  maxStepAttempts: number;
  /** Wait before the first retry, in milliseconds; at least 1 (Temporal rejects 0). */
  initialIntervalMs: number;
  /** Factor applied to the wait after each retry; at least 1. */
  backoffCoefficient: number;
  /** Cap on any single wait, in milliseconds; never below `initialIntervalMs`. */
  maximumIntervalMs: number;
}

/** The IR's cap on `backoffMaxDuration`, also its default ("If unset, will set to 1 hour"). */
const MAX_BACKOFF_MS = 3_600_000;
/** The IR's default `backoffFactor` ("If unset, will be set to 2"), also the kfp SDK's. */
const DEFAULT_BACKOFF_FACTOR = 2;
// protobuf's JSON form of google.protobuf.Duration: seconds with up to 9 fractional digits and an "s".
const DURATION = /^(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * Parses a protobuf Duration string ("0s", "1.5s", "3600s") into milliseconds.
 *
 * @throws SpecValidationError at `path` for anything else, including negative durations.
 */
export function parseDurationMs(text: unknown, path: string): number {
  const match = typeof text === 'string' ? DURATION.exec(text) : null;
  if (!match) {
    throw new SpecValidationError([
      { path, message: `expected a duration such as "0s", "1.5s" or "3600s", got ${JSON.stringify(text)}` },
    ]);
  }
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return Number(match[1]) * 1000 + Number(fraction) / 1e6;
}

/**
 * Maps a KFP retry policy onto Temporal's retry settings. Unset fields take the IR's defaults
 * (backoff 0s, factor 2, max duration 1 h), which are also what the kfp SDK's `set_retry` writes.
 *
 * Proto3 cannot tell 0 from unset, so a factor of 0 or a max duration of "0s" means the default.
 * A factor below 1 is raised to 1 (a shrinking wait is not a backoff), a max duration above 1 h
 * is capped at 1 h as the IR says, and a "0s" backoff (retry at once) becomes 1 ms because
 * Temporal refuses a zero interval.
 *
 * KFP's `backoffMaxDuration` bounds the whole retry window (Argo's `backoff.maxDuration`).
 * Temporal can bound a window only with a schedule-to-close timeout, which would also cut off a
 * long-running step, so the duration caps each single wait instead.
 *
 * @param path where `policy` sits in the spec, for error messages.
 * @throws SpecValidationError listing every invalid field.
 */
export function toRetrySettings(policy?: RetryPolicy, path = 'retryPolicy'): RetrySettings {
  const issues: SpecIssue[] = [];
  const duration = (name: 'backoffDuration' | 'backoffMaxDuration'): number => {
    try {
      return parseDurationMs(policy?.[name] ?? '0s', `${path}.${name}`);
    } catch (error) {
      if (!(error instanceof SpecValidationError)) throw error;
      issues.push(...error.issues);
      return 0;
    }
  };
  const retries = policy?.maxRetryCount ?? 0;
  if (!Number.isInteger(retries) || retries < 0) {
    issues.push({ path: `${path}.maxRetryCount`, message: `expected a whole number >= 0, got ${JSON.stringify(retries)}` });
  }
  const factor = policy?.backoffFactor ?? 0;
  if (typeof factor !== 'number' || !Number.isFinite(factor)) {
    issues.push({ path: `${path}.backoffFactor`, message: `expected a number, got ${JSON.stringify(factor)}` });
  }
  const initial = duration('backoffDuration');
  const max = duration('backoffMaxDuration');
  if (issues.length > 0) throw new SpecValidationError(issues, 'invalid retry policy');

  const initialIntervalMs = Math.max(1, initial);
  return {
    maxStepAttempts: retries + 1,
    initialIntervalMs,
    backoffCoefficient: factor === 0 ? DEFAULT_BACKOFF_FACTOR : Math.max(1, factor),
    maximumIntervalMs: Math.max(initialIntervalMs, max === 0 ? MAX_BACKOFF_MS : Math.min(max, MAX_BACKOFF_MS)),
  };
}
