import { z } from 'zod';
import { optionalInt, optionalString } from './common';

/** Which cache entries a list or a clear applies to (Sluice extension); unset matches all. */
export const CacheEntryQuery = z.object({
  pipeline_name: optionalString,
  fingerprint: optionalString,
  namespace: optionalString,
});

/** Listing adds a bound: the newest `page_size` entries (default 100, at most 1,000). */
export const CacheListQuery = CacheEntryQuery.extend({ page_size: optionalInt(0).pipe(z.number().max(1000).optional()) });
