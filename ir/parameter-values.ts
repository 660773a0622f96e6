/**
 * Parameter values against their declared `ParameterType`: the one place that says what a STRING,
 * an integer or a STRUCT looks like, how text becomes a typed value, and how a value becomes the
 * text a command line receives. Used by validation (constants, defaults, runtime parameters),
 * input resolution, placeholders and output collection.
 */
import { isPlainObject } from './records';
import type { ParameterType, ParameterValue } from './types';

export const PARAMETER_TYPES: readonly ParameterType[] = [
  'STRING',
  'NUMBER_INTEGER',
  'NUMBER_DOUBLE',
  'BOOLEAN',
  'LIST',
  'STRUCT',
  'TASK_FINAL_STATUS',
];

export function isParameterType(value: unknown): value is ParameterType {
  return typeof value === 'string' && (PARAMETER_TYPES as readonly string[]).includes(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a struct';
  if (typeof value === 'number' && !Number.isInteger(value)) return `the number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Why `value` is not a valid `type`, or undefined when it is. An integer must be integral; a
 * NUMBER_DOUBLE accepts any finite number (JSON has no separate integer type).
 */
export function typeMismatch(value: unknown, type: ParameterType): string | undefined {
  const ok = (() => {
    switch (type) {
      case 'STRING':
        return typeof value === 'string';
      case 'NUMBER_INTEGER':
        return typeof value === 'number' && Number.isSafeInteger(value);
      case 'NUMBER_DOUBLE':
        return typeof value === 'number' && Number.isFinite(value);
      case 'BOOLEAN':
        return typeof value === 'boolean';
      case 'LIST':
        return Array.isArray(value);
      case 'STRUCT':
      case 'TASK_FINAL_STATUS':
        return isPlainObject(value);
      default: {
        const never: never = type;
        return never;
      }
    }
  })();
  if (ok) return undefined;
  if (type === 'NUMBER_INTEGER' && Number.isInteger(value)) return INEXACT_INTEGER;
  return `expected ${expectedText(type)}, got ${describeValue(value)}`;
}

/**
 * KFP's NUMBER_INTEGER is an int64, but JSON numbers are read as doubles here (by the API, the
 * workflow's payloads, PostgreSQL's jsonb as the API reads it), which hold integers exactly only up
 * to 2^53 - 1. Any literal beyond that has already been rounded by the time it is seen (2^63 - 1
 * reads as 2^63), so it is refused rather than stored as another number.
 */
const INEXACT_INTEGER =
  `an integer beyond ±${Number.MAX_SAFE_INTEGER} (2^53 - 1), which Sluice cannot carry exactly; ` +
  'pass larger values as a STRING parameter';

function expectedText(type: ParameterType): string {
  switch (type) {
    case 'STRING':
      return 'a string';
    case 'NUMBER_INTEGER':
      return 'an integer';
    case 'NUMBER_DOUBLE':
      return 'a number';
    case 'BOOLEAN':
      return 'a boolean';
    case 'LIST':
      return 'a list';
    case 'STRUCT':
    case 'TASK_FINAL_STATUS':
      return 'a struct';
    default: {
      const never: never = type;
      return never;
    }
  }
}

// A decimal number as JSON and Python print it. Number() alone would also take '', '0x10' and 'Infinity'.
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads `text` as a value of `type`, as KFP does with output parameter files and as a CLI
 * `-p key=value` needs: STRING is taken as-is, numbers and booleans are parsed (surrounding
 * whitespace ignored, so a trailing newline from `echo` is fine), LIST and STRUCT are JSON.
 *
 * @throws Error whose message says what was expected; callers add which parameter it was.
 */
export function parameterFromText(text: string, type: ParameterType): ParameterValue {
  if (type === 'STRING') return text;
  const trimmed = text.trim();
  switch (type) {
    case 'NUMBER_INTEGER':
    case 'NUMBER_DOUBLE': {
      const value = NUMBER_TEXT.test(trimmed) ? Number(trimmed) : NaN;
      if (!Number.isFinite(value)) throw new Error(`expected ${expectedText(type)}, got ${JSON.stringify(text)}`);
      if (type === 'NUMBER_INTEGER' && !Number.isInteger(value)) throw new Error(`expected an integer, got ${trimmed}`);
      if (type === 'NUMBER_INTEGER' && !Number.isSafeInteger(value)) throw new Error(`${trimmed} is ${INEXACT_INTEGER}`);
      return value;
    }
    case 'BOOLEAN': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true' || lower === 'false') return lower === 'true';
      throw new Error(`expected true or false, got ${JSON.stringify(text)}`);
    }
    case 'LIST':
    case 'STRUCT':
    case 'TASK_FINAL_STATUS': {
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        throw new Error(`expected ${expectedText(type)} as JSON, got ${JSON.stringify(text)}`);
      }
      const mismatch = typeMismatch(value, type);
      if (mismatch) throw new Error(mismatch);
      return value as ParameterValue;
    }
    default: {
      const never: never = type;
      return never;
    }
  }
}

/**
 * The text a command line receives for a parameter: strings as-is, everything else as JSON
 * (`3`, `2.5`, `true`, `[1,2]`, `{"a":1}`), which is what KFP's launcher substitutes.
 */
export function parameterToText(value: ParameterValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
