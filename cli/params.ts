import { InvalidArgumentError } from 'commander';

/**
 * Parsers for option values. Each throws commander's `InvalidArgumentError`, which commander
 * reports as a usage error naming the option (exit 2).
 */

/**
 * Parses one `-p key=value` (`what`: a parameter) or `-a name=artifact-id` (an input artifact).
 * The value is everything after the first `=` and stays a string (it may be empty or contain
 * `=`): the server coerces a parameter to its declared type and looks an artifact id up.
 */
export function parseParam(raw: string, what = 'parameter'): [key: string, value: string] {
  const eq = raw.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`expected key=value, got "${raw}"`);
  const key = raw.slice(0, eq).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
    throw new InvalidArgumentError(`"${key}" is not a valid ${what} name (letters, digits, _ . -; not starting with a digit)`);
  }
  return [key, raw.slice(eq + 1)];
}

/** Commander's accumulator for a repeated `-p` or `-a`: a name given twice is an error, not a silent override. */
function collector(what: string) {
  return (raw: string, acc: Record<string, string> = {}): Record<string, string> => {
    const [key, value] = parseParam(raw, what);
    if (Object.hasOwn(acc, key)) throw new InvalidArgumentError(`${what} "${key}" is given twice`);
    return { ...acc, [key]: value };
  };
}

export const collectParam = collector('parameter');
export const collectArtifact = collector('input artifact');

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
