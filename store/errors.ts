/**
 * The store's domain errors. Each carries the identifiers a caller needs to build an actionable
 * message (the API maps them to 400, 409 and 404); anything else a store method throws is an
 * infrastructure failure (connection lost, server error) and may be retried.
 */

/**
 * Thrown when a listing request is malformed: an unknown sort field or direction, a page size
 * that is not a non-negative integer, or a page token that is not one this store issued for the
 * same listing (same entity, filter and sort), or a predicate on a field the listing cannot
 * filter on. `field` names the offending option.
 */
export class StoreInputError extends Error {
  override readonly name = 'StoreInputError';
  constructor(
    readonly field: 'sortBy' | 'pageSize' | 'pageToken' | 'predicates',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Thrown when a write would break a uniqueness rule that idempotency cannot absorb: a second
 * pipeline with the same name in a namespace, a second version name under one pipeline, a second
 * experiment with the same display name, or deleting the `Default` experiment. Writing the same
 * id again is never a conflict; it returns the stored row.
 */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  constructor(
    readonly entity: string,
    /** The record field whose value conflicts, e.g. `name`. */
    readonly field: string,
    readonly value: string,
    message = `${entity} with ${field} "${value}" already exists`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Thrown when a write refers to a parent that does not exist: a version of a missing pipeline,
 * a task, attempt, artifact, lineage edge or state change of a missing run, or lineage for an
 * unregistered artifact. Reads return `undefined` (or `false` for deletes) instead of throwing.
 */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
  constructor(
    readonly entity: string,
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super(`${entity} ${id} not found`, options);
  }
}
