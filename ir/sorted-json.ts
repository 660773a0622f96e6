/**
 * `value` as JSON with every object's keys sorted (and `undefined` members left out, as
 * `JSON.stringify` does): equal for equal JSON values whatever their key order, which neither
 * PostgreSQL's jsonb nor a YAML round trip keeps.
 */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}
