import type { z } from 'zod';
import type { SpecIssue } from '../../../ir/errors';
import { PodSpecError } from './pod-spec-error';

/** `base.a[0].b`: array indexes in brackets, as the errors of the rest of Sluice write them. */
function fieldPath(base: string, path: readonly (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : `${out}.${part}`), base);
}

/**
 * The issues of a failed parse, located below `base`. An unknown field gets an issue of its own
 * saying what it is not part of (`unknownField`), because a field nobody reads would otherwise be
 * ignored without a word.
 */
export function issuesOf(error: z.ZodError, base: string, unknownField: string): SpecIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: fieldPath(base, [...issue.path, key]), message: `unknown field: ${unknownField}` }))
      : [{ path: fieldPath(base, issue.path), message: issue.message }],
  );
}

/** Parses `value` with `schema`, or throws a PodSpecError with one issue per problem (see `issuesOf`). */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, value: unknown, base: string, unknownField: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new PodSpecError(issuesOf(result.error, base, unknownField));
}
