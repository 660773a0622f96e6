import { z } from 'zod';
import { MAX_PIPELINE_NAME_LENGTH } from '../../ir/validate';
import { blankToUndefined, bounded, optionalInt, optionalNamespace } from './common';

/** A fingerprint as `ir/cache-key.ts` writes it: a SHA-256 in lowercase hex. */
const fingerprint = z
  .string({ invalid_type_error: 'expected a string' })
  .regex(/^[0-9a-f]{64}$/, 'expected a cache fingerprint: 64 lowercase hexadecimal digits (a SHA-256)');

/**
 * Which cache entries a list or a clear applies to (Sluice extension); unset matches all the
 * caller's namespaces may hold. Strict, like every query schema: a misspelt filter on a DELETE
 * (`pipelinename=`) must not clear every entry.
 */
export const CacheEntryQuery = z
  .object({
    pipeline_name: z.preprocess(blankToUndefined, bounded(MAX_PIPELINE_NAME_LENGTH).optional()),
    fingerprint: z.preprocess(blankToUndefined, fingerprint.optional()),
    namespace: optionalNamespace,
  })
  .strict();

/** Listing adds a bound: the newest `page_size` entries (default 100, at most 1,000). */
export const CacheListQuery = CacheEntryQuery.extend({ page_size: optionalInt(0).pipe(z.number().max(1000, 'at most 1000').optional()) }).strict();
