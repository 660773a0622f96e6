import type { ErrorRequestHandler } from 'express';
import { MulterError } from 'multer';
import { ZodError } from 'zod';
import { SpecValidationError } from '../ir/errors';
import { StoreConflictError, StoreInputError, StoreNotFoundError } from '../store/errors';
import type { ApiErrorBody, FieldViolation } from './api-types';

/**
 * The API's errors and their one mapping to HTTP. Services throw the classes below (or let a
 * store, spec, zod or multer error through; `SpecValidationError` covers its subclasses
 * `SpecParseError` and `SpecNotSupportedError`); `errorHandler` classifies whatever arrives into an
 * `ErrorKind`, and `statusOf` maps each kind to one HTTP status and the gRPC code KFP puts in
 * `code`. Nothing else in the API chooses a status code for an error.
 */

export type ErrorKind = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION' | 'UNAVAILABLE' | 'INTERNAL';

/** Thrown when a request is malformed; each violation names a request field and its problem. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  constructor(readonly violations: FieldViolation[]) {
    super(violations.map(describeViolation).join('; '));
  }

  static of(field: string, description: string): InvalidArgumentError {
    return new InvalidArgumentError([{ field, description }]);
  }
}

/**
 * Thrown when a resource named by the request does not exist. `field` is the request field that
 * named it when that was a body or query field (an unknown `experiment_id` in a run, say);
 * `reason` says why, when that is more than absence (a task that has not started has no log).
 */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly field?: string;
  constructor(
    readonly resource: string,
    readonly id: string,
    { field, reason }: { field?: string; reason?: string } = {},
  ) {
    super(`${field ? `${field}: ` : ''}${resource} "${id}" not found${reason ? `: ${reason}` : ''}`);
    this.field = field;
  }
}

/**
 * Thrown when a valid request cannot apply to the resource in its current state: terminating a
 * finished run, deleting a pipeline that still has versions, deleting a run that is still active.
 */
export class FailedPreconditionError extends Error {
  override readonly name = 'FailedPreconditionError';
}

/** Thrown when Temporal refused work the request needed; the message says what was recorded instead. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}

export interface Classified {
  kind: ErrorKind;
  message: string;
  violations: FieldViolation[];
}

/** Which kind of failure `err` is, with the message and field violations the response carries. */
export function classify(err: unknown): Classified {
  const plain = (kind: ErrorKind, message: string): Classified => ({ kind, message, violations: [] });
  if (err instanceof InvalidArgumentError) return invalid(err.violations);
  if (err instanceof ZodError) return invalid(err.issues.map((i) => ({ field: i.path.join('.') || 'request', description: i.message })));
  if (err instanceof SpecValidationError) {
    // Its message is a summary line ("invalid pipeline spec") followed by one line per issue.
    const violations = err.issues.map((i) => ({ field: i.path, description: i.message }));
    const summary = err.message.split('\n')[0];
    return { kind: 'INVALID_ARGUMENT', message: `${summary}: ${violations.map(describeViolation).join('; ')}`, violations };
  }
  if (err instanceof MulterError) {
    const description = err.code === 'LIMIT_UNEXPECTED_FILE' ? 'unexpected file field; send the pipeline file as "uploadfile"' : err.message;
    return invalid([{ field: err.field ?? 'uploadfile', description }]);
  }
  if (isBodyParserError(err)) return invalid([{ field: 'request body', description: err.message }]);
  if (err instanceof StoreInputError) return invalid([{ field: STORE_FIELDS[err.field], description: err.message }]);
  if (err instanceof StoreConflictError) return plain('ALREADY_EXISTS', err.message);
  if (err instanceof NotFoundError) {
    return { kind: 'NOT_FOUND', message: err.message, violations: err.field ? [{ field: err.field, description: err.message }] : [] };
  }
  // A parent deleted while the request was writing under it.
  if (err instanceof StoreNotFoundError) return plain('NOT_FOUND', err.message);
  if (err instanceof FailedPreconditionError) return plain('FAILED_PRECONDITION', err.message);
  if (err instanceof UnavailableError) return plain('UNAVAILABLE', err.message);
  const down = unavailableDependency(err);
  if (down) return plain('UNAVAILABLE', `${down} is unavailable (${err instanceof Error ? err.message : String(err)}); retry shortly`);
  return plain('INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}

/** HTTP status and gRPC code of each kind (grpc-gateway's mapping, which KFP's clients expect). */
export function statusOf(kind: ErrorKind): { http: number; grpc: number } {
  switch (kind) {
    case 'INVALID_ARGUMENT':
      return { http: 400, grpc: 3 };
    case 'NOT_FOUND':
      return { http: 404, grpc: 5 };
    case 'ALREADY_EXISTS':
      return { http: 409, grpc: 6 };
    case 'FAILED_PRECONDITION':
      return { http: 400, grpc: 9 };
    case 'UNAVAILABLE':
      return { http: 503, grpc: 14 };
    case 'INTERNAL':
      return { http: 500, grpc: 13 };
    default: {
      const unreachable: never = kind;
      throw new Error(`unhandled error kind ${String(unreachable)}`);
    }
  }
}

/** KFP's error body for a classified error. */
export function toErrorBody({ kind, message, violations }: Classified): { status: number; body: ApiErrorBody } {
  const { http, grpc } = statusOf(kind);
  const details: ApiErrorBody['details'] = violations.length
    ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: violations }]
    : [];
  return { status: http, body: { error_message: message, code: grpc, message, details } };
}

/** Express's last middleware: every error becomes KFP's JSON error body. */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    // A streamed response (a followed log) already sent its status; all that is left is to cut it.
    next(err);
    return;
  }
  const classified = classify(err);
  // The other kinds are answers about the request; only a bug or an outage needs the stack.
  if (classified.kind === 'INTERNAL') console.error(`${req.method} ${req.originalUrl} failed:`, err);
  const { status, body } = toErrorBody(classified);
  if (status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
  // Set explicitly: a handler may already have chosen another type (text/plain for logs).
  res.status(status).type('application/json').json(body);
};

/** What a 503 asks clients to wait: about how long the dev stack's supervisor takes to restart a server. */
export const RETRY_AFTER_SECONDS = 5;

/** node-postgres errors of a server that is down, restarting or cut off (network errors and SQLSTATE classes 08 and 57P). */
const POSTGRES_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const POSTGRES_DOWN_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/;
/** gRPC UNAVAILABLE: Temporal's frontend cannot be reached. */
const GRPC_UNAVAILABLE = 14;

/**
 * Which dependency `err` says is down (PostgreSQL or Temporal), or undefined when it is about
 * something else: an outage is a 503 the client may retry, not a 500.
 */
function unavailableDependency(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && POSTGRES_DOWN_CODES.has(code)) return 'PostgreSQL';
    if (POSTGRES_DOWN_MESSAGES.test(e.message)) return 'PostgreSQL';
    if (code === GRPC_UNAVAILABLE) return 'Temporal';
  }
  return undefined;
}

/** Store listing options as the API's query parameters name them. */
const STORE_FIELDS: Record<StoreInputError['field'], string> = { sortBy: 'sort_by', pageSize: 'page_size', pageToken: 'page_token' };

function invalid(violations: FieldViolation[]): Classified {
  return { kind: 'INVALID_ARGUMENT', message: violations.map(describeViolation).join('; '), violations };
}

function describeViolation(v: FieldViolation): string {
  return `${v.field}: ${v.description}`;
}

/** express.json()'s errors (malformed JSON, body too large) are http-errors with a 4xx `status` and an `entity.*` type. */
function isBodyParserError(err: unknown): err is Error & { status: number; type: string } {
  if (!(err instanceof Error)) return false;
  const { status, type } = err as Error & { status?: unknown; type?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string' && type.startsWith('entity.');
}
