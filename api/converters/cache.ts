import { taskIdFor } from '../../store/ids';
import type { CacheEntry, CacheEntryFilter } from '../../store/types';
import type { ApiCacheEntry } from '../api-types';
import { rfc3339 } from './common';

export function toApiCacheEntry(e: CacheEntry): ApiCacheEntry {
  return {
    namespace: e.namespace,
    pipeline_name: e.pipelineName,
    fingerprint: e.fingerprint,
    run_id: e.runId,
    task_id: taskIdFor(e.runId, e.taskPath),
    task_path: e.taskPath,
    create_time: rfc3339(e.createdAt),
  };
}

/** `namespaces`: what the caller may see (`Access.listNamespaces`), already narrowed by the query's `namespace`. */
export function toCacheEntryFilter(q: { pipeline_name?: string; fingerprint?: string }, namespaces: readonly string[] | undefined): CacheEntryFilter {
  return { pipelineName: q.pipeline_name, fingerprint: q.fingerprint, namespaces };
}
