import { randomUUID } from 'node:crypto';
import type { ExperimentRecord, MetadataStore, Page } from '../../store/types';
import { NotFoundError } from '../errors';
import { parseFilter, type FilterKeys } from '../filter';
import { toListOptions, type ListQuery } from '../schemas/common';
import type { ExperimentBody } from '../schemas/experiments';
import { listMatching } from './list-matching';

/** `kfp.Client.create_experiment` looks experiments up by `display_name`; the KFP UI hides archived ones by `storage_state`. */
const EXPERIMENT_FILTER_KEYS: FilterKeys = {
  display_name: ['EQUALS', 'NOT_EQUALS', 'IN', 'IS_SUBSTRING'],
  name: ['EQUALS', 'NOT_EQUALS', 'IN', 'IS_SUBSTRING'],
  storage_state: ['EQUALS', 'NOT_EQUALS'],
};

export class ExperimentService {
  constructor(private readonly store: MetadataStore) {}

  /** @throws StoreConflictError when an experiment of that display name exists in the namespace. */
  create(body: ExperimentBody): Promise<ExperimentRecord> {
    return this.store.createExperiment({
      experimentId: randomUUID(),
      displayName: body.display_name,
      description: body.description ?? '',
      namespace: body.namespace ?? '',
    });
  }

  async get(experimentId: string, field?: string): Promise<ExperimentRecord> {
    const experiment = await this.store.getExperiment(experimentId);
    if (!experiment) throw new NotFoundError('experiment', experimentId, { field });
    return experiment;
  }

  /** `namespaces`: only experiments in these (undefined: all). */
  list(query: ListQuery, namespaces: readonly string[] | undefined): Promise<Page<ExperimentRecord>> {
    return listMatching(
      (opts) => this.store.listExperiments({ ...opts, namespaces }),
      // Experiments have only a display name; KFP clients filter on either key.
      (e) => ({ display_name: e.displayName, name: e.displayName, storage_state: e.storageState }),
      parseFilter(query.filter, EXPERIMENT_FILTER_KEYS),
      toListOptions(query),
    );
  }

  /** Runs of a deleted experiment stay, as in KFP. @throws StoreConflictError for the Default experiment. */
  async delete(experimentId: string): Promise<void> {
    if (!(await this.store.deleteExperiment(experimentId))) throw new NotFoundError('experiment', experimentId);
  }

  /** Archiving also archives the experiment's runs; unarchiving leaves them archived (KFP's rule, kept by the store). */
  async setStorageState(experimentId: string, state: ExperimentRecord['storageState']): Promise<void> {
    if (!(await this.store.setExperimentStorageState(experimentId, state))) throw new NotFoundError('experiment', experimentId);
  }
}
