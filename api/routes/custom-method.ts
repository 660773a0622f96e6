/**
 * The path of a KFP custom method on one resource, e.g. `/runs/:run_id\:terminate` for
 * `POST /runs/{run_id}:terminate`. The colon is escaped so Express reads it as text rather than
 * the start of a parameter. The declared type leaves the escape out, because Express's typings
 * would otherwise take `run_id\:terminate` for the parameter's name.
 */
export function customMethodPath<P extends string>(collection: string, idParam: P, method: string): `/${string}/:${P}` {
  return `/${collection}/:${idParam}\\:${method}` as `/${string}/:${P}`;
}
