import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { ArtifactRef, TaskOutputs } from '../ir/types';
import type { CacheScope, MetadataStore, TaskCacheInfo } from '../store/types';
import { recordedOutputs, type TaskRecorder } from './task-recorder';
import type { TaskActivityInput, TaskActivityResult } from './types';

/**
 * Where a task's cache entries live: KFP scopes its cache by namespace and pipeline name, so one
 * namespace never reuses another's outputs. The namespace is the run's (`runs.namespace`, its
 * experiment's), read from the store: the workflow's input does not carry it, and a run never
 * changes namespace.
 * @throws Error when the run has no row (the workflow registers it before any task).
 */
export async function cacheScopeOf(store: MetadataStore, input: Pick<TaskActivityInput, 'runId' | 'pipelineName'>): Promise<CacheScope> {
  let namespace = runNamespaces.get(input.runId);
  if (namespace === undefined) {
    namespace = await store.getRunNamespace(input.runId);
    if (namespace === undefined) throw new Error(`run ${input.runId} is not in the store, so its tasks have no cache scope`);
    // The oldest entry makes room: a Map iterates in insertion order.
    if (runNamespaces.size >= RUN_NAMESPACES_KEPT) runNamespaces.delete(runNamespaces.keys().next().value as string);
    runNamespaces.set(input.runId, namespace);
  }
  return { namespace, pipelineName: input.pipelineName };
}

/** Runs' namespaces as this worker read them: a run never changes namespace, so a fan-out's tasks read it once. */
const runNamespaces = new Map<string, string>();
const RUN_NAMESPACES_KEPT = 10_000;

/**
 * The scope of a task that looks up and writes the cache: only when caching is on for the
 * deployment and the task (a fingerprint); else undefined, without a read.
 */
export async function cacheScopeFor(store: MetadataStore, input: TaskActivityInput, enabled: boolean): Promise<CacheScope | undefined> {
  return enabled && input.cache?.fingerprint ? cacheScopeOf(store, input) : undefined;
}

/** The entry a task's success writes, in `scope` (from `cacheScopeFor`). */
export function cacheEntryFor(input: TaskActivityInput, scope: CacheScope | undefined): (CacheScope & { fingerprint: string }) | undefined {
  const fingerprint = input.cache?.fingerprint;
  return scope && fingerprint ? { ...scope, fingerprint } : undefined;
}

/** Either the task was served from cache, or it runs, and `info` (when set) says why. */
export type CacheOutcome = { hit: TaskActivityResult } | { hit?: undefined; info?: TaskCacheInfo };

/**
 * KFP's driver step for a container task, before its first launch: look up the newest
 * successful execution with the task's fingerprint in its scope and, when its outputs are all
 * still there, record the task as served from them (no launch). A task whose workflow predates
 * caching (no plan) neither looks up nor records anything. `retried`: an earlier attempt of this
 * activity may have recorded a hit.
 */
export async function consultCache(store: MetadataStore, scope: CacheScope | undefined, enabled: boolean, recorder: TaskRecorder, input: TaskActivityInput, retried: boolean): Promise<CacheOutcome> {
  const plan = input.cache;
  if (!plan) return {};
  if (!enabled) return { info: { status: 'DISABLED', reason: 'caching is off for this deployment (SLUICE_CACHE_ENABLED=false)' } };
  const { fingerprint } = plan;
  if (!fingerprint) {
    return { info: { status: 'DISABLED', reason: 'caching is off for this task (cachingOptions.enableCache is not true; kfp: set_caching_options(False) or enable_caching=False)' } };
  }
  const found = await reusableOutputs(store, scope ?? (await cacheScopeOf(store, input)), fingerprint);
  if ('outputs' in found) {
    const { runId, taskPath } = found.source;
    const key = plan.customKey ? 'custom cache key' : 'fingerprint';
    const info: TaskCacheInfo = { status: 'HIT', reason: `${key} ${fingerprint} matched task ${taskPath} of run ${runId}; its outputs were reused`, fingerprint, cachedFrom: found.source };
    await recorder.cached(info, found.outputs);
    // What the store holds, which an earlier attempt may have written from another entry.
    return { hit: await recorder.recordedResult(0, '') };
  }
  // An earlier attempt of this activity recorded a hit whose entry has gone since: the hit
  // stands. Only a retry can find one, so a first attempt launches without the extra read.
  if (retried && (await store.getTask(input.runId, input.taskPath))?.cache?.status === 'HIT') return { hit: await recorder.recordedResult(0, '') };
  return { info: { status: 'MISS', reason: found.miss, fingerprint } };
}

type Reusable = { outputs: TaskOutputs; source: { runId: string; taskPath: string } } | { miss: string };

async function reusableOutputs(store: MetadataStore, scope: CacheScope, fingerprint: string): Promise<Reusable> {
  const entry = await store.findCacheEntry(scope, fingerprint);
  if (!entry) return { miss: `no earlier successful execution with fingerprint ${fingerprint} in pipeline ${scope.pipelineName}${scope.namespace ? ` of namespace ${scope.namespace}` : ''}` };
  const source = { runId: entry.runId, taskPath: entry.taskPath };
  const task = await store.getTask(entry.runId, entry.taskPath);
  const outputs = task && (await recordedOutputs(store, task).catch(() => undefined));
  if (!outputs) return { miss: `the cached execution (task ${source.taskPath} of run ${source.runId}) is no longer recorded` };
  const gone = await firstMissing(Object.values(outputs.artifacts).flat());
  if (gone) return { miss: `an output of the cached execution (task ${source.taskPath} of run ${source.runId}) is gone: ${gone}` };
  return { outputs, source };
}

/**
 * The URI of the first artifact whose payload is not there. Artifact URIs are paths in the
 * artifact store (mounted on every worker); a URI that is not a path cannot be checked, so it
 * counts as gone and the task runs.
 */
async function firstMissing(artifacts: readonly ArtifactRef[]): Promise<string | undefined> {
  for (const { uri } of artifacts) {
    if (!isAbsolute(uri)) return uri;
    if (!(await access(uri).then(() => true, () => false))) return uri;
  }
  return undefined;
}
