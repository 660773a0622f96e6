import { Router } from 'express';
import { toApiCacheEntry, toCacheEntryFilter } from '../converters/cache';
import { CacheEntryQuery, CacheListQuery } from '../schemas/cache';
import type { CacheService } from '../services/cache-service';
import type { ApiCacheEntryList } from '../api-types';

/**
 * Sluice extension under KFP's prefix (KFP has no cache API): list the task cache's entries,
 * newest first, and clear them, all or by pipeline name, fingerprint or namespace.
 */
export function cacheRouter(cache: CacheService): Router {
  const router = Router();

  router.get('/cache/entries', async (req, res) => {
    const query = CacheListQuery.parse(req.query);
    const page = await cache.list(toCacheEntryFilter(query), query.page_size);
    res.json({ entries: page.items.map(toApiCacheEntry), total_size: page.totalSize } satisfies ApiCacheEntryList);
  });

  router.delete('/cache/entries', async (req, res) => {
    res.json({ deleted_count: await cache.clear(toCacheEntryFilter(CacheEntryQuery.parse(req.query))) });
  });

  return router;
}
