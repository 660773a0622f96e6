import { z, ZodError } from 'zod';
import { InvalidArgumentError } from './errors';

/**
 * KFP's list `filter` query parameter: a JSON-encoded `Filter` (backend/api/v2beta1/filter.proto)
 * whose predicates are ANDed. Protobuf's JSON reader accepts snake_case and camelCase field names
 * and an enum by name or number, and `kfp.Client` sends `stringValue` with numeric operations, so
 * this parser accepts all of them. Sluice filters on string fields only.
 */

/** The operations Sluice evaluates; filter.proto's comparisons (GREATER_THAN, ...) are refused. */
export const FILTER_OPERATIONS = ['EQUALS', 'NOT_EQUALS', 'IN', 'IS_SUBSTRING'] as const;
export type FilterOperation = (typeof FILTER_OPERATIONS)[number];

/** filter.proto's `Predicate.Operation` numbers and names. */
const OPERATION_NAMES: Record<number, string> = {
  1: 'EQUALS',
  2: 'NOT_EQUALS',
  3: 'GREATER_THAN',
  5: 'GREATER_THAN_EQUALS',
  6: 'LESS_THAN',
  7: 'LESS_THAN_EQUALS',
  8: 'IN',
  9: 'IS_SUBSTRING',
};

export interface Predicate {
  key: string;
  operation: FilterOperation;
  /** One value, or the list of `IN`. */
  values: string[];
}

/** The keys a listing filters on, each with the operations it supports. */
export type FilterKeys = Readonly<Record<string, readonly FilterOperation[]>>;

const scalar = z.union([z.string(), z.number()]);
const valueList = z.object({ values: z.array(scalar) });
const PredicateJson = z
  .object({
    key: z.string().min(1),
    operation: z.union([z.string(), z.number().int()]),
    string_value: z.string().optional(),
    int_value: scalar.optional(),
    long_value: scalar.optional(),
    timestamp_value: z.string().optional(),
    string_values: valueList.optional(),
    int_values: valueList.optional(),
    long_values: valueList.optional(),
  })
  .strict();
const FilterJson = z.object({ predicates: z.array(PredicateJson).default([]) }).strict();

/**
 * Parses and checks a `filter` query parameter against the keys a listing supports. Throws
 * `InvalidArgumentError` naming the predicate field at fault (bad JSON, an unknown key or
 * operation, a missing value). An absent or empty filter yields no predicates.
 */
export function parseFilter(text: string | undefined, keys: FilterKeys): Predicate[] {
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw InvalidArgumentError.of('filter', `not valid JSON (${(err as Error).message}); expected a KFP Filter such as ` +
      '{"predicates":[{"key":"state","operation":"EQUALS","string_value":"SUCCEEDED"}]}');
  }
  let parsed: z.infer<typeof FilterJson>;
  try {
    parsed = FilterJson.parse(snakeCaseKeys(json));
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    throw new InvalidArgumentError(err.issues.map((i) => ({ field: ['filter', ...i.path].join('.'), description: i.message })));
  }
  return parsed.predicates.map((p, i) => checkPredicate(p, `filter.predicates.${i}`, keys));
}

/** True when `fields` satisfies every predicate; an absent field never equals or contains anything. */
export function matchesAll(fields: Readonly<Record<string, string | undefined>>, predicates: readonly Predicate[]): boolean {
  return predicates.every((p) => matches(fields[p.key], p));
}

function matches(value: string | undefined, p: Predicate): boolean {
  switch (p.operation) {
    case 'EQUALS':
      return value === p.values[0];
    case 'NOT_EQUALS':
      return value !== p.values[0];
    case 'IN':
      return value !== undefined && p.values.includes(value);
    case 'IS_SUBSTRING':
      return value !== undefined && value.includes(p.values[0]);
    default: {
      const unreachable: never = p.operation;
      throw new Error(`unhandled filter operation ${String(unreachable)}`);
    }
  }
}

function checkPredicate(p: z.infer<typeof PredicateJson>, at: string, keys: FilterKeys): Predicate {
  const supported = Object.hasOwn(keys, p.key) ? keys[p.key] : undefined;
  if (!supported) {
    throw InvalidArgumentError.of(`${at}.key`, `cannot filter on "${p.key}"; supported keys: ${Object.keys(keys).join(', ')}`);
  }
  const name = typeof p.operation === 'number' ? OPERATION_NAMES[p.operation] ?? String(p.operation) : p.operation;
  const operation = supported.find((op) => op === name);
  if (!operation) {
    throw InvalidArgumentError.of(`${at}.operation`, `operation ${name} is not supported on "${p.key}"; supported: ${supported.join(', ')}`);
  }
  const list = p.string_values ?? p.int_values ?? p.long_values;
  const single = p.string_value ?? p.int_value ?? p.long_value ?? p.timestamp_value;
  if (operation === 'IN') {
    if (!list) throw InvalidArgumentError.of(at, 'operation IN needs a list of values (string_values.values)');
    return { key: p.key, operation, values: list.values.map(String) };
  }
  if (single === undefined) throw InvalidArgumentError.of(at, `operation ${operation} needs a value (string_value)`);
  return { key: p.key, operation, values: [String(single)] };
}

/** `stringValue` → `string_value`, recursively through objects and arrays. */
function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCaseKeys(v)]),
  );
}
