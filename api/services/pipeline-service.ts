import { randomUUID } from 'node:crypto';
import type { ParsedPipelineDocument } from '../../ir/parse';
import type { MetadataStore, Page, PipelineRecord, PipelineVersionRecord } from '../../store/types';
import { FailedPreconditionError, NotFoundError } from '../errors';
import { EXACT_KEY, TEXT_KEY, TIME_KEY, parseFilter, type FilterKeys } from '../filter';
import { toListOptions, type ListQuery } from '../schemas/common';

/** Names and description of a new pipeline or version; each name defaults to the other. */
export interface NewEntityNames {
  name?: string;
  displayName?: string;
  description?: string;
}

/** Pipelines and versions filter on their names (`kfp.Client.get_pipeline_id` uses `display_name`), description, id and time. */
const NAME_FILTER_KEYS: FilterKeys = {
  name: TEXT_KEY,
  display_name: TEXT_KEY,
  description: TEXT_KEY,
  created_at: TIME_KEY,
};
const PIPELINE_FILTER_KEYS: FilterKeys = { pipeline_id: EXACT_KEY, ...NAME_FILTER_KEYS };
const VERSION_FILTER_KEYS: FilterKeys = { pipeline_version_id: EXACT_KEY, ...NAME_FILTER_KEYS };

/** Pipelines and their versions. Specs arrive already validated (see `pipeline-input.ts`). */
export class PipelineService {
  constructor(private readonly store: MetadataStore) {}

  /**
   * Creates a pipeline and its first version in one transaction. The pipeline is named from
   * `names`, else from the spec's `pipelineInfo.name`; the first version takes the pipeline's
   * names unless `versionNames` gives its own.
   * @throws StoreConflictError when a pipeline of that name exists.
   */
  async createWithVersion(
    names: NewEntityNames & { namespace?: string },
    doc: ParsedPipelineDocument,
    versionNames: NewEntityNames = {},
  ): Promise<{ pipeline: PipelineRecord; version: PipelineVersionRecord }> {
    const pipeline = this.newPipeline(names, doc.spec.pipelineInfo.name);
    const version = {
      pipelineVersionId: randomUUID(),
      ...resolveNames(versionNames, pipeline.name),
      description: versionNames.description ?? pipeline.description,
      spec: doc.spec,
      platformSpec: doc.platformSpec,
    };
    return this.store.createPipelineWithVersion(pipeline, version);
  }

  /** A pipeline with no versions yet (KFP's `CreatePipeline`). */
  create(names: NewEntityNames & { namespace?: string }): Promise<PipelineRecord> {
    return this.store.createPipeline(this.newPipeline(names));
  }

  /**
   * Adds a version. Without a name it is named after the spec and the time, so repeated uploads
   * of one file do not collide.
   * @throws NotFoundError when the pipeline does not exist (`field` names the request field that gave its id).
   */
  async addVersion(pipelineId: string, names: NewEntityNames, doc: ParsedPipelineDocument, field?: string): Promise<PipelineVersionRecord> {
    await this.get(pipelineId, field);
    const fallback = `${doc.spec.pipelineInfo.name} ${new Date().toISOString()}`;
    return this.store.createPipelineVersion({
      pipelineVersionId: randomUUID(),
      pipelineId,
      ...resolveNames(names, fallback),
      description: names.description ?? '',
      spec: doc.spec,
      platformSpec: doc.platformSpec,
    });
  }

  async get(pipelineId: string, field?: string): Promise<PipelineRecord> {
    const pipeline = await this.store.getPipeline(pipelineId);
    if (!pipeline) throw new NotFoundError('pipeline', pipelineId, { field });
    return pipeline;
  }

  async getByName(name: string, namespace?: string): Promise<PipelineRecord> {
    const pipeline = await this.store.getPipelineByName(name, namespace);
    if (!pipeline) throw new NotFoundError('pipeline named', name);
    return pipeline;
  }

  /** `namespaces`: only pipelines in these (undefined: all). */
  list(query: ListQuery, namespaces: readonly string[] | undefined): Promise<Page<PipelineRecord>> {
    return this.store.listPipelines({ ...toListOptions(query), predicates: parseFilter(query.filter, PIPELINE_FILTER_KEYS), namespaces });
  }

  /**
   * As in KFP, a pipeline that still has versions is deleted only with `cascade`, which deletes
   * the versions too. Runs keep their own copy of the spec either way.
   */
  async delete(pipelineId: string, cascade: boolean): Promise<void> {
    await this.get(pipelineId);
    if (!cascade) {
      const { totalSize } = await this.store.listPipelineVersions(pipelineId, { pageSize: 1 });
      if (totalSize > 0) {
        throw new FailedPreconditionError(
          `pipeline "${pipelineId}" has ${totalSize} version(s); delete them first, or pass cascade=true to delete them with it`,
        );
      }
    }
    if (!(await this.store.deletePipeline(pipelineId))) throw new NotFoundError('pipeline', pipelineId);
  }

  async getVersion(pipelineId: string, versionId: string, field?: string): Promise<PipelineVersionRecord> {
    const version = await this.store.getPipelineVersion(pipelineId, versionId);
    if (!version) throw new NotFoundError('pipeline version', versionId, { field, reason: `pipeline "${pipelineId}" has no such version` });
    return version;
  }

  /** The most recently created version, which a run gets when it names only the pipeline. */
  async latestVersion(pipelineId: string, field?: string): Promise<PipelineVersionRecord> {
    await this.get(pipelineId, field);
    const [latest] = (await this.store.listPipelineVersions(pipelineId, { pageSize: 1, sortBy: 'created_at desc' })).items;
    if (!latest) throw new FailedPreconditionError(`${field ? `${field}: ` : ''}pipeline "${pipelineId}" has no versions to run`);
    return latest;
  }

  async listVersions(pipelineId: string, query: ListQuery): Promise<Page<PipelineVersionRecord>> {
    await this.get(pipelineId);
    return this.store.listPipelineVersions(pipelineId, { ...toListOptions(query), predicates: parseFilter(query.filter, VERSION_FILTER_KEYS) });
  }

  async deleteVersion(pipelineId: string, versionId: string): Promise<void> {
    if (!(await this.store.deletePipelineVersion(pipelineId, versionId))) {
      throw new NotFoundError('pipeline version', versionId, { reason: `pipeline "${pipelineId}" has no such version` });
    }
  }

  private newPipeline(names: NewEntityNames & { namespace?: string }, fallbackName?: string): Omit<PipelineRecord, 'createdAt'> {
    return {
      pipelineId: randomUUID(),
      ...resolveNames(names, fallbackName),
      description: names.description ?? '',
      namespace: names.namespace ?? '',
    };
  }
}

/**
 * `name` and `displayName`, each defaulting to the other, then to `fallback`. The request
 * schemas guarantee one of them is present whenever there is no fallback.
 */
function resolveNames(names: NewEntityNames, fallback?: string): { name: string; displayName: string } {
  const name = names.name ?? names.displayName ?? fallback;
  if (name === undefined) throw new Error('resolveNames: no name, display name or fallback');
  return { name, displayName: names.displayName ?? name };
}
