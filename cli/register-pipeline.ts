import type { ApiPipelineVersion } from '../api/api-types';
import { ApiError, absentOn, type ApiClient } from './api-client';
import { pipelineSpecOf, type PipelineSpecPayload } from './api-types';
import { sortedJson } from '../ir/sorted-json';

/** The registered version a run executes, and what registering it had to create. */
export interface RegisteredPipeline {
  pipelineId: string;
  pipelineVersionId: string;
  /** `pipeline`: the pipeline was new; `version`: its latest version had other content; `none`: the latest version was this spec. */
  created: 'pipeline' | 'version' | 'none';
}

/**
 * Registers `spec` as the latest version of the pipeline named by its `pipelineInfo.name` in
 * `namespace` (the run's, which is its experiment's; `''` is the shared namespace): creates the
 * pipeline when there is none, adds a version only when the latest version's content differs,
 * and otherwise reuses that version. Repeating it changes nothing, and two clients registering
 * the same new pipeline at once end with one pipeline.
 */
export async function registerPipeline(client: ApiClient, spec: PipelineSpecPayload, namespace: string): Promise<RegisteredPipeline> {
  const name = pipelineSpecOf(spec).pipelineInfo.name;
  const find = async () => (await client.getPipelineByName(name, namespace).catch(absentOn(404)))?.pipeline_id;
  let created: RegisteredPipeline['created'] = 'none';
  let pipelineId = await find();
  if (pipelineId === undefined) {
    try {
      pipelineId = (await client.createPipelineAndVersion(name, namespace, spec)).pipeline_id;
      created = 'pipeline';
    } catch (err) {
      // Created by another client in between: go on with theirs.
      const theirs = err instanceof ApiError && err.status === 409 ? await find() : undefined;
      if (theirs === undefined) throw err;
      pipelineId = theirs;
    }
  }
  const latest = await latestVersion(client, pipelineId);
  if (latest && sameContent(latest.pipeline_spec, spec)) return { pipelineId, pipelineVersionId: latest.pipeline_version_id, created };
  const version = await client.createPipelineVersion(pipelineId, spec);
  return { pipelineId, pipelineVersionId: version.pipeline_version_id, created: created === 'pipeline' ? created : 'version' };
}

async function latestVersion(client: ApiClient, pipelineId: string): Promise<ApiPipelineVersion | undefined> {
  return (await client.listPipelineVersions(pipelineId, { pageSize: 1 })).pipeline_versions?.[0];
}

/** Equal as JSON values: PostgreSQL's jsonb keeps no key order, so the order of keys does not count. */
export function sameContent(a: unknown, b: unknown): boolean {
  return sortedJson(a) === sortedJson(b);
}
