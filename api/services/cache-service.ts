import type { CacheEntry, CacheEntryFilter, MetadataStore, Page } from '../../store/types';

const DEFAULT_PAGE_SIZE = 100;

/** The task cache, as the API lists and clears it. */
export class CacheService {
  constructor(private readonly store: MetadataStore) {}

  list(filter: CacheEntryFilter, pageSize?: number): Promise<Page<CacheEntry>> {
    return this.store.listCacheEntries(filter, pageSize || DEFAULT_PAGE_SIZE);
  }

  /**
   * Deletes the matching entries, never artifacts: a run that has just been served from an
   * entry keeps outputs that still exist, and tasks that start afterwards miss and run.
   */
  clear(filter: CacheEntryFilter): Promise<number> {
    return this.store.deleteCacheEntries(filter);
  }
}
