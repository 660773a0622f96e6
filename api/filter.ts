import { z, ZodError } from 'zod';
import type { FieldPredicate, FilterOperation } from '../store/types';
import { InvalidArgumentError } from './errors';

/**
 * KFP's list `filter` query parameter: a JSON-encoded `Filter` (backend/api/v2beta1/filter.proto)
 * whose predicates are ANDed. Protobuf's JSON reader accepts snake_case and camelCase field names
 * and an enum by name or number, and `kfp.Client` sends `stringValue` with numeric operations, so
 * this parser accepts all of them. The store evaluates the predicates, so pages, tokens and totals
 * stay exact under a filter.
 */

/** filter.proto's `Predicate.Operation` numbers and names. */
const OPERATION_NAMES: Record<number, FilterOperation> = {
  1: 'EQUALS',
  2: 'NOT_EQUALS',
  3: 'GREATER_THAN',
  5: 'GREATER_THAN_EQUALS',
  6: 'LESS_THAN',
  7: 'LESS_THAN_EQUALS',
  8: 'IN',
  9: 'IS_SUBSTRING',
};

/** A listing's filterable key: the operations it supports, and whether its values are times. */
export interface FilterKey {
  operations: readonly FilterOperation[];
  time?: boolean;
}

/** The keys a listing filters on. */
export type FilterKeys = Readonly<Record<string, FilterKey>>;

/** What a text field supports. */
export const TEXT_KEY: FilterKey = { operations: ['EQUALS', 'NOT_EQUALS', 'IN', 'IS_SUBSTRING'] };
/** What an enumeration or id supports. */
export const EXACT_KEY: FilterKey = { operations: ['EQUALS', 'NOT_EQUALS', 'IN'] };
/** What a time supports: KFP compares times as whole seconds since the epoch. */
export const TIME_KEY: FilterKey = {
  operations: ['EQUALS', 'NOT_EQUALS', 'GREATER_THAN', 'GREATER_THAN_EQUALS', 'LESS_THAN', 'LESS_THAN_EQUALS'],
  time: true,
};

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
export function parseFilter(text: string | undefined, keys: FilterKeys): FieldPredicate[] {
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

function checkPredicate(p: z.infer<typeof PredicateJson>, at: string, keys: FilterKeys): FieldPredicate {
  const key = Object.hasOwn(keys, p.key) ? keys[p.key] : undefined;
  if (!key) {
    throw InvalidArgumentError.of(`${at}.key`, `cannot filter on "${p.key}"; supported keys: ${Object.keys(keys).join(', ')}`);
  }
  const name = typeof p.operation === 'number' ? OPERATION_NAMES[p.operation] ?? String(p.operation) : p.operation;
  const operation = key.operations.find((op) => op === name);
  if (!operation) {
    throw InvalidArgumentError.of(`${at}.operation`, `operation ${name} is not supported on "${p.key}"; supported: ${key.operations.join(', ')}`);
  }
  const list = p.string_values ?? p.int_values ?? p.long_values;
  const single = p.string_value ?? p.int_value ?? p.long_value ?? p.timestamp_value;
  if (operation === 'IN') {
    if (!list) throw InvalidArgumentError.of(at, 'operation IN needs a list of values (string_values.values)');
    return { field: p.key, operation, values: list.values.map(String) };
  }
  if (single === undefined) throw InvalidArgumentError.of(at, `operation ${operation} needs a value (${key.time ? 'timestamp_value' : 'string_value'})`);
  return { field: p.key, operation, values: [key.time ? timeValue(single, at) : String(single)] };
}

/** A time predicate's value: an RFC3339 time (`timestamp_value`), or seconds since the epoch (`long_value`, KFP's `*_at_in_sec`). */
function timeValue(value: string | number, at: string): Date {
  const text = String(value).trim();
  const date = /^-?\d+$/.test(text) ? new Date(Number(text) * 1000) : RFC3339.test(text) ? new Date(text) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw InvalidArgumentError.of(at, `"${text}" is not a time; expected an RFC3339 timestamp_value (2026-01-02T03:04:05Z) or seconds since the epoch`);
  }
  return date;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `stringValue` → `string_value`, recursively through objects and arrays. */
function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCaseKeys(v)]),
  );
}
