import { randomUUID } from 'node:crypto';
import type { ExperimentRecord, MetadataStore, Page } from '../../store/types';
import { NotFoundError } from '../errors';
import { EXACT_KEY, TEXT_KEY, TIME_KEY, parseFilter, type FilterKeys } from '../filter';
import { toListOptions, type ListQuery } from '../schemas/common';
import type { ExperimentBody } from '../schemas/experiments';

/**
 * `kfp.Client.create_experiment` looks experiments up by `display_name`; the KFP UI hides archived
 * ones by `storage_state`. Experiments have only a display name; KFP clients filter on either key.
 */
const EXPERIMENT_FILTER_KEYS: FilterKeys = {
  experiment_id: EXACT_KEY,
  display_name: TEXT_KEY,
  name: TEXT_KEY,
  description: TEXT_KEY,
  storage_state: { operations: ['EQUALS', 'NOT_EQUALS'] },
  created_at: TIME_KEY,
  last_run_created_at: TIME_KEY,
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
    return this.store.listExperiments({ ...toListOptions(query), predicates: parseFilter(query.filter, EXPERIMENT_FILTER_KEYS), namespaces });
  }

  /** Runs of a deleted experiment stay, as in KFP. @throws StoreConflictError for the Default experiment. */
  async delete(experimentId: string): Promise<void> {
    if (!(await this.store.deleteExperiment(experimentId))) throw new NotFoundError('experiment', experimentId);
  }

  /**
   * Archiving also archives the experiment's runs and disables its recurring runs; unarchiving
   * leaves them archived and disabled (KFP's rule, kept by the store).
   */
  async setStorageState(experimentId: string, state: ExperimentRecord['storageState']): Promise<void> {
    if (!(await this.store.setExperimentStorageState(experimentId, state))) throw new NotFoundError('experiment', experimentId);
  }
}
