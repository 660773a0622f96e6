import type { RequestHandler, Router } from 'express';
import { MAX_DOCUMENT_DEPTH, documentProblem } from '../ir/document-limits';
import { InvalidArgumentError, UnsupportedMediaTypeError } from './errors';
import { MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_TASK_PATH_LENGTH, NoQuery } from './schemas/common';

/**
 * Checks every request gets at the API's edge, before a route reads it: a body comes in a type
 * and encoding the route reads, and no body, query or path parameter holds a NUL character or
 * nests deeper than `MAX_DOCUMENT_DEPTH`. Those would otherwise reach PostgreSQL (which refuses
 * NUL in text and jsonb) or a recursive reader (zod, the validator, `JSON.stringify`) and come
 * back as a 500. Field limits (lengths, blank names) are the request schemas' (`schemas/`).
 */

/** Encodings express.json inflates (its limit then applies to the inflated body). */
const JSON_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'];

/**
 * Refuses a body in a content type or encoding its route does not read, with 415. A multipart
 * upload is read as it arrives, so it must come unencoded; a JSON body may be compressed.
 * Requests without a body (GETs, `:terminate`) pass whatever their headers say.
 *
 * @param isUpload whether the request goes to a route that takes a multipart file.
 */
export function bodyTypeGuard(isUpload: (path: string) => boolean): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req.headers)) return next();
    const upload = isUpload(req.path);
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    const encodings = upload ? ['identity'] : JSON_ENCODINGS;
    if (!encodings.includes(encoding)) {
      throw new UnsupportedMediaTypeError('Content-Encoding', `"${encoding}" is not supported here; send ${encodings.join(', ')}`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const expected = upload ? 'multipart/form-data' : 'application/json';
    if (type !== expected) {
      throw new UnsupportedMediaTypeError('Content-Type', `expected ${expected}, got ${type ? `"${type}"` : 'none'}`);
    }
    next();
  };
}

/**
 * Refuses a query string with a malformed percent escape (which the query parser would keep as
 * text, so `?name=%zz` would name a pipeline "%zz"), and a parsed JSON body or query holding a
 * NUL character or nested too deeply, naming where.
 */
export const parsedInputGuard: RequestHandler = (req, _res, next) => {
  const query = req.originalUrl.split('?').slice(1).join('?');
  for (const pair of query ? query.split('&') : []) {
    const [key, ...value] = pair.split('=');
    for (const part of [key, value.join('=')]) {
      try {
        decodeURIComponent(part.replace(/\+/g, ' '));
      } catch {
        throw InvalidArgumentError.of(safeDecode(key), 'malformed percent-encoding in the query string');
      }
    }
  }
  for (const value of [req.body, req.query]) {
    const problem = documentProblem(value, { maxDepth: MAX_DOCUMENT_DEPTH });
    if (problem) throw InvalidArgumentError.of(problem.path || 'request body', problem.message);
  }
  next();
};

/**
 * Refuses any query parameter, on a route that reads none: a misspelt or misplaced parameter
 * (`?cascade=true` on a version, say) must not be silently ignored. Routes that read a query
 * parse it with their own strict schema instead.
 */
export const noQuery: RequestHandler<Record<string, string>> = (req, _res, next) => {
  NoQuery.parse(req.query);
  next();
};

/** The longest value each path parameter may have; the name says what the parameter is. */
const PATH_PARAMETER_LIMITS: Record<string, number> = {
  pipeline_id: MAX_ID_LENGTH,
  version_id: MAX_ID_LENGTH,
  experiment_id: MAX_ID_LENGTH,
  run_id: MAX_ID_LENGTH,
  recurring_run_id: MAX_ID_LENGTH,
  artifact_id: MAX_ID_LENGTH,
  token_id: MAX_ID_LENGTH,
  name: MAX_NAME_LENGTH,
  task: MAX_TASK_PATH_LENGTH,
};

/**
 * Registers a check of each of `router`'s path parameters (after Express has percent-decoded it):
 * no NUL character, no longer than its limit. A lookup by such a value could only be a 404 at best
 * and a 500 from PostgreSQL at worst.
 */
export function guardPathParameters(router: Router): void {
  for (const [name, limit] of Object.entries(PATH_PARAMETER_LIMITS)) {
    router.param(name, (_req, _res, next, value: string) => {
      if (value.includes('\u0000')) throw InvalidArgumentError.of(name, 'contains a NUL character');
      if (value.length > limit) throw InvalidArgumentError.of(name, `longer than ${limit} characters`);
      next();
    });
  }
}

/** A query parameter's name for a message: decoded when it can be, else as sent. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Whether a request carries a body: a non-zero Content-Length, or a chunked one. */
function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
