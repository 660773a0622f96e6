import { InvalidArgumentError } from 'commander';

/**
 * Parsers for option values. Each throws commander's `InvalidArgumentError`, which commander
 * reports as a usage error naming the option (exit 2).
 */

/**
 * Parses one `-p key=value`. The value is everything after the first `=` and stays a string
 * (it may be empty or contain `=`): the server coerces it to the parameter's declared type.
 */
export function parseParam(raw: string): [key: string, value: string] {
  const eq = raw.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`expected key=value, got "${raw}"`);
  const key = raw.slice(0, eq).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
    throw new InvalidArgumentError(`"${key}" is not a parameter name (letters, digits, _ . -; not starting with a digit)`);
  }
  return [key, raw.slice(eq + 1)];
}

/** Commander's accumulator for a repeated `-p`: a parameter given twice is an error, not a silent override. */
export function collectParam(raw: string, acc: Record<string, string> = {}): Record<string, string> {
  const [key, value] = parseParam(raw);
  if (Object.hasOwn(acc, key)) throw new InvalidArgumentError(`parameter "${key}" is given twice`);
  return { ...acc, [key]: value };
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** 0 is allowed: it asks the OS for a free port. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
}
