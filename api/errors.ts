import type { ErrorRequestHandler } from 'express';
import { MulterError } from 'multer';
import type { Logger } from '../observability/logger';
import { countStoreError } from '../observability/metrics';
import { ZodError, type ZodIssue } from 'zod';
import { formatBytes } from '../ir/document-limits';
import { SpecValidationError } from '../ir/errors';
import { StoreConflictError, StoreInputError, StoreNotFoundError } from '../store/errors';
import { isPostgresDown } from '../store/pg-errors';
import type { ApiErrorBody, FieldViolation } from './api-types';

/**
 * The API's errors and their one mapping to HTTP. Services throw the classes below (or let a
 * store, spec, zod or multer error through; `SpecValidationError` covers its subclasses
 * `SpecParseError` and `SpecNotSupportedError`); `errorHandler` classifies whatever arrives into an
 * `ErrorKind`, and `statusOf` maps each kind to one HTTP status and the gRPC code KFP puts in
 * `code`. Nothing else in the API chooses a status code for an error.
 */

export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'MISDIRECTED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

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

/** An error about one part of the request (a field, a header); the message is `field: description`. */
abstract class RequestPartError extends Error {
  constructor(
    readonly field: string,
    description: string,
  ) {
    super(`${field}: ${description}`);
  }
}

/** Thrown when a request body, a file or a field is larger than its configured limit; the message names both. */
export class PayloadTooLargeError extends RequestPartError {
  override readonly name = 'PayloadTooLargeError';
}

/** Thrown when a body comes in a content type or encoding the route does not read. */
export class UnsupportedMediaTypeError extends RequestPartError {
  override readonly name = 'UnsupportedMediaTypeError';
}

/**
 * Thrown when a request carries no credentials, or ones that do not verify (unknown, revoked or
 * expired token; a JWT with a bad signature, issuer, audience or time). `presented` says whether
 * a credential came at all, which decides the `WWW-Authenticate` challenge (RFC 6750 §3).
 */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  constructor(
    message: string,
    readonly presented: boolean,
  ) {
    super(message);
  }
}

/** Thrown when the caller is known but its scope or namespaces do not cover the request; the message names what is missing. */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
}

/** Thrown when the `Host` header is not a name this server answers to (a DNS-rebinding page, say). */
export class MisdirectedRequestError extends Error {
  override readonly name = 'MisdirectedRequestError';
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

/**
 * Thrown when the request lost a race with other work on the same resource: retrying a run
 * that is running, or that another request has just retried.
 */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
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
  if (err instanceof ZodError) return invalid(err.issues.flatMap(zodViolations));
  if (err instanceof SpecValidationError) {
    // Its message is a summary line ("invalid pipeline spec") followed by one line per issue.
    const violations = err.issues.map((i) => ({ field: i.path, description: i.message }));
    const summary = err.message.split('\n')[0];
    return { kind: 'INVALID_ARGUMENT', message: `${summary}: ${violations.map(describeViolation).join('; ')}`, violations };
  }
  if (err instanceof PayloadTooLargeError) return fieldError('PAYLOAD_TOO_LARGE', err.field, err.message);
  if (err instanceof UnsupportedMediaTypeError) return fieldError('UNSUPPORTED_MEDIA_TYPE', err.field, err.message);
  if (err instanceof MulterError) {
    const description = err.code === 'LIMIT_UNEXPECTED_FILE' ? 'unexpected file field; send the pipeline file as "uploadfile"' : err.message;
    return invalid([{ field: err.field ?? 'uploadfile', description }]);
  }
  // Express's router could not percent-decode a path parameter (a lone `%` or `%zz`); it carries status 400 too.
  if (err instanceof URIError) return invalid([{ field: 'path', description: 'malformed percent-encoding in the URL path' }]);
  if (isBodyParserError(err)) {
    // Only these three are the client's to fix by sending another body; the rest are malformed input.
    if (err.type === 'entity.too.large') {
      return fieldError('PAYLOAD_TOO_LARGE', 'request body', `request body: larger than the ${formatBytes(err.limit ?? 0)} limit`);
    }
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
      return fieldError('UNSUPPORTED_MEDIA_TYPE', 'request body', `request body: ${err.message}`);
    }
    return invalid([{ field: 'request body', description: err.message }]);
  }
  if (err instanceof StoreInputError) return invalid([{ field: STORE_FIELDS[err.field], description: err.message }]);
  if (err instanceof UnauthenticatedError) return plain('UNAUTHENTICATED', err.message);
  if (err instanceof PermissionDeniedError) return plain('PERMISSION_DENIED', err.message);
  if (err instanceof MisdirectedRequestError) return plain('MISDIRECTED', err.message);
  if (err instanceof StoreConflictError) return plain('ALREADY_EXISTS', err.message);
  if (err instanceof NotFoundError) {
    return { kind: 'NOT_FOUND', message: err.message, violations: err.field ? [{ field: err.field, description: err.message }] : [] };
  }
  // A parent deleted while the request was writing under it.
  if (err instanceof StoreNotFoundError) return plain('NOT_FOUND', err.message);
  if (err instanceof FailedPreconditionError) return plain('FAILED_PRECONDITION', err.message);
  if (err instanceof ConflictError) return plain('ABORTED', err.message);
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
    case 'UNAUTHENTICATED':
      return { http: 401, grpc: 16 };
    case 'PERMISSION_DENIED':
      return { http: 403, grpc: 7 };
    case 'MISDIRECTED':
      // No gRPC code fits a wrong host; INVALID_ARGUMENT is what the client sent.
      return { http: 421, grpc: 3 };
    case 'PAYLOAD_TOO_LARGE':
      return { http: 413, grpc: 8 };
    case 'UNSUPPORTED_MEDIA_TYPE':
      return { http: 415, grpc: 3 };
    case 'NOT_FOUND':
      return { http: 404, grpc: 5 };
    case 'ALREADY_EXISTS':
      return { http: 409, grpc: 6 };
    case 'FAILED_PRECONDITION':
      return { http: 400, grpc: 9 };
    case 'ABORTED':
      return { http: 409, grpc: 10 };
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
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    countStoreError('api', err);
    if (res.headersSent) {
      // A streamed response (a followed log) already sent its status; all that is left is to cut it.
      next(err);
      return;
    }
    const classified = classify(err);
    // The other kinds are answers about the request; only a bug or an outage needs the stack.
    if (classified.kind === 'INTERNAL' || classified.kind === 'UNAVAILABLE') logger.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    const { status, body } = toErrorBody(classified);
    if (status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    if (err instanceof UnauthenticatedError) res.setHeader('WWW-Authenticate', bearerChallenge(err));
    // Set explicitly: a handler may already have chosen another type (text/plain for logs).
    res.status(status).type('application/json').json(body);
  };
}

/**
 * RFC 6750's challenge: a bare one when nothing was presented, `invalid_token` with the reason
 * otherwise. A header value must be printable ASCII, and the description a quoted string.
 */
function bearerChallenge(err: UnauthenticatedError): string {
  const realm = 'Bearer realm="sluice"';
  return err.presented ? `${realm}, error="invalid_token", error_description="${err.message.replace(/[^\x20-\x7e]|["\\]/g, "'")}"` : realm;
}

/** What a 503 asks clients to wait: about how long the dev stack's supervisor takes to restart a server. */
export const RETRY_AFTER_SECONDS = 5;

/** gRPC UNAVAILABLE: Temporal's frontend cannot be reached. */
const GRPC_UNAVAILABLE = 14;

/**
 * Which dependency `err` says is down (PostgreSQL or Temporal), or undefined when it is about
 * something else: an outage is a 503 the client may retry, not a 500.
 */
function unavailableDependency(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isPostgresDown(e)) return 'PostgreSQL';
    if ((e as { code?: unknown }).code === GRPC_UNAVAILABLE) return 'Temporal';
  }
  return undefined;
}

/** Store listing options as the API's query parameters name them. */
const STORE_FIELDS: Record<StoreInputError['field'], string> = { sortBy: 'sort_by', pageSize: 'page_size', pageToken: 'page_token', predicates: 'filter' };

function invalid(violations: FieldViolation[]): Classified {
  return { kind: 'INVALID_ARGUMENT', message: violations.map(describeViolation).join('; '), violations };
}

/** A zod issue as field violations; an unknown key is named itself (a misspelt query parameter, say). */
function zodViolations(issue: ZodIssue): FieldViolation[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), description: 'unknown field; check its spelling' }));
  }
  return [{ field: issue.path.join('.') || 'request', description: issue.message }];
}

function fieldError(kind: ErrorKind, field: string, message: string): Classified {
  return { kind, message, violations: [{ field, description: message }] };
}

function describeViolation(v: FieldViolation): string {
  return `${v.field}: ${v.description}`;
}

/**
 * express.json()'s errors (malformed JSON, body too large, an encoding or charset it cannot
 * decode, a compressed body that does not inflate, a body cut short) are http-errors with a 4xx
 * `status`, most with a `type` such as `entity.parse.failed` or `encoding.unsupported`.
 */
function isBodyParserError(err: unknown): err is Error & { status: number; type?: string; limit?: number } {
  if (!(err instanceof Error)) return false;
  const { status } = err as Error & { status?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500;
}
