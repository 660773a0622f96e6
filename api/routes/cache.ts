import { Router } from 'express';
import { accessOf } from '../auth/principal';
import { toApiCacheEntry, toCacheEntryFilter } from '../converters/cache';
import { guardPathParameters } from '../request-guards';
import { CacheEntryQuery, CacheListQuery } from '../schemas/cache';
import type { CacheService } from '../services/cache-service';
import type { ApiCacheEntryList } from '../api-types';

/**
 * Sluice extension under KFP's prefix (KFP has no cache API): list the task cache's entries,
 * newest first, and clear them, all or by pipeline name, fingerprint or namespace. Both see
 * only the caller's namespaces (the `namespace` parameter narrows to one, 403 if the caller
 * cannot reach it); clearing is a DELETE, so the guard has already required write scope.
 */
export function cacheRouter(cache: CacheService): Router {
  const router = Router();
  guardPathParameters(router);

  router.get('/cache/entries', async (req, res) => {
    const query = CacheListQuery.parse(req.query);
    const page = await cache.list(toCacheEntryFilter(query, accessOf(res).listNamespaces(query.namespace)), query.page_size);
    res.json({ entries: page.items.map(toApiCacheEntry), total_size: page.totalSize } satisfies ApiCacheEntryList);
  });

  router.delete('/cache/entries', async (req, res) => {
    const query = CacheEntryQuery.parse(req.query);
    res.json({ deleted_count: await cache.clear(toCacheEntryFilter(query, accessOf(res).listNamespaces(query.namespace))) });
  });

  return router;
}
