import { z } from 'zod';
import type { ListOptions } from '../../store/types';

/** proto3 JSON and `kfp.Client` send `""` for an unset string (`page_token=`); it means absent. */
export const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

export const optionalString = z.preprocess(blankToUndefined, z.string().optional());

/**
 * Limits on the strings a request names things with. A name is stored in a unique btree index
 * (with the namespace), and PostgreSQL refuses an index row over about 2,700 bytes, so names are
 * bounded well below: 255 characters is at most 1,020 bytes of UTF-8. KFP declares a pipeline's
 * name varchar(128) and a namespace 63 (a Kubernetes namespace); names here may be longer than
 * 128 because display names are too (kfp.Client names a run after its pipeline and the time).
 */
export const MAX_NAME_LENGTH = 255;
/** Ids are UUIDs; 128 leaves room for any id scheme without letting a lookup carry megabytes. */
export const MAX_ID_LENGTH = 128;
export const MAX_NAMESPACE_LENGTH = 63;
export const MAX_DESCRIPTION_LENGTH = 10_000;
/** A task path in the log route (`root/for-loop-2[17]/train`): nested names of at most 255 bytes each. */
export const MAX_TASK_PATH_LENGTH = 4096;

/** A string field of at most `max` characters. */
export const bounded = (max: number) =>
  z.string({ required_error: 'required', invalid_type_error: 'expected a string' }).max(max, `longer than ${max} characters`);

/** A name or display name: at most `MAX_NAME_LENGTH` characters, and not only whitespace. */
const name = bounded(MAX_NAME_LENGTH).refine((s) => s.trim() !== '', 'must not be blank (only whitespace)');

export const optionalName = z.preprocess(blankToUndefined, name.optional());
/** A required display name (an experiment's). */
export const requiredName = z.preprocess(blankToUndefined, name);
export const optionalId = z.preprocess(blankToUndefined, bounded(MAX_ID_LENGTH).optional());
export const requiredId = z.preprocess(blankToUndefined, bounded(MAX_ID_LENGTH));
export const optionalNamespace = z.preprocess(blankToUndefined, bounded(MAX_NAMESPACE_LENGTH).optional());
export const optionalDescription = z.preprocess(blankToUndefined, bounded(MAX_DESCRIPTION_LENGTH).optional());

/** An optional integer query parameter of at least `min`. */
export const optionalInt = (min: number) => z.preprocess(blankToUndefined, z.coerce.number().int().min(min).optional());

/** A query flag: `true`/`false` (also `1`/`0`); absent is false. */
export const queryFlag = z
  .preprocess(blankToUndefined, z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' }).optional())
  .transform((v) => v === 'true' || v === '1');

/** A JSON object (a pipeline spec, say), checked for shape later by ir/. */
export const jsonObject = z.record(z.unknown(), { invalid_type_error: 'expected a JSON object' });

/**
 * KFP's list query parameters. `page_size` 0 means the store's default. Query schemas are strict:
 * a misspelt parameter (`pagesize`) would otherwise be ignored without a word.
 */
export const ListQuery = z
  .object({
    page_token: optionalString,
    page_size: optionalInt(0),
    sort_by: optionalString,
    filter: optionalString,
    namespace: optionalNamespace,
  })
  .strict();
export type ListQuery = z.infer<typeof ListQuery>;

/** The query of a route that takes none. */
export const NoQuery = z.object({}).strict();

export function toListOptions(q: ListQuery): ListOptions {
  return { pageSize: q.page_size, pageToken: q.page_token, sortBy: q.sort_by };
}
