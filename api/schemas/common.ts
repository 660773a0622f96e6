import { z } from 'zod';
import type { ListOptions } from '../../store/types';

/** proto3 JSON and `kfp.Client` send `""` for an unset string (`page_token=`); it means absent. */
const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

export const optionalString = z.preprocess(blankToUndefined, z.string().optional());

export const requiredString = z.preprocess(
  blankToUndefined,
  z.string({ required_error: 'required', invalid_type_error: 'expected a string' }),
);

/** An optional integer query parameter of at least `min`. */
export const optionalInt = (min: number) => z.preprocess(blankToUndefined, z.coerce.number().int().min(min).optional());

/** A query flag: `true`/`false` (also `1`/`0`); absent is false. */
export const queryFlag = z
  .preprocess(blankToUndefined, z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' }).optional())
  .transform((v) => v === 'true' || v === '1');

/** A JSON object (a pipeline spec, say), checked for shape later by ir/. */
export const jsonObject = z.record(z.unknown(), { invalid_type_error: 'expected a JSON object' });

/** KFP's list query parameters. `page_size` 0 means the store's default. */
export const ListQuery = z.object({
  page_token: optionalString,
  page_size: optionalInt(0),
  sort_by: optionalString,
  filter: optionalString,
  namespace: optionalString,
});
export type ListQuery = z.infer<typeof ListQuery>;

export function toListOptions(q: ListQuery): ListOptions {
  return { pageSize: q.page_size, pageToken: q.page_token, sortBy: q.sort_by };
}
