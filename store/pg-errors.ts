import { StoreConflictError, StoreInputError, StoreNotFoundError } from './errors';

/** What a named constraint's violation means: which entity, and which record field holds the value. */
interface Meaning {
  kind: 'conflict' | 'missing';
  entity: string;
  field: string;
}

const conflict = (entity: string, field: string): Meaning => ({ kind: 'conflict', entity, field });
const missing = (entity: string, field: string): Meaning => ({ kind: 'missing', entity, field });

/** Keyed by the constraint names spelled out in the migrations. */
const CONSTRAINTS: Readonly<Record<string, Meaning>> = {
  pipelines_namespace_name_key: conflict('pipeline', 'name'),
  pipeline_versions_pipeline_id_name_key: conflict('pipeline version', 'name'),
  experiments_namespace_display_name_key: conflict('experiment', 'displayName'),
  pipeline_versions_pipeline_id_fkey: missing('pipeline', 'pipelineId'),
  tasks_run_id_fkey: missing('run', 'runId'),
  task_attempts_run_id_fkey: missing('run', 'runId'),
  artifacts_run_id_fkey: missing('run', 'runId'),
  lineage_run_id_fkey: missing('run', 'runId'),
  lineage_artifact_id_fkey: missing('artifact', 'artifactId'),
};

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const DATA_EXCEPTION_CLASS = '22';

/**
 * Returns a rejection handler for a write of `input`: a unique or foreign-key violation of a known
 * constraint becomes `StoreConflictError` or `StoreNotFoundError`, naming the value `input` holds
 * in the offending field; any other error is rethrown unchanged.
 */
export function rethrowConstraint(input: object): (err: unknown) => never {
  return (err) => {
    const { code, constraint } = (err ?? {}) as { code?: string; constraint?: string };
    const meaning = constraint && Object.hasOwn(CONSTRAINTS, constraint) ? CONSTRAINTS[constraint] : undefined;
    if (!meaning || (code !== UNIQUE_VIOLATION && code !== FOREIGN_KEY_VIOLATION)) throw err;
    const value = String((input as Record<string, unknown>)[meaning.field]);
    if (meaning.kind === 'conflict') {
      throw new StoreConflictError(meaning.entity, meaning.field, value, undefined, { cause: err });
    }
    throw new StoreNotFoundError(meaning.entity, value, { cause: err });
  };
}

/**
 * Rejection handler for a page query. Page tokens are not signed, so a forged one can carry a
 * sort value Postgres cannot cast (say, a bad timestamp). The cursor is the only value in a page
 * query that Postgres casts, so a data exception means a bad token: `StoreInputError`.
 */
export function rethrowBadCursor(err: unknown): never {
  const { code } = (err ?? {}) as { code?: string };
  if (code?.startsWith(DATA_EXCEPTION_CLASS)) throw new StoreInputError('pageToken', 'malformed page token', { cause: err });
  throw err;
}

/** node-postgres errors of a server that is down, restarting or cut off (network errors and SQLSTATE classes 08 and 57P). */
const POSTGRES_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
/** node-postgres reports a lost or refused connection with these messages and no code. */
const POSTGRES_DOWN_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/;

/** Whether `err` itself (not its causes) says PostgreSQL cannot be reached. */
export function isPostgresDown(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && POSTGRES_DOWN_CODES.has(code)) || POSTGRES_DOWN_MESSAGES.test(err.message);
}
