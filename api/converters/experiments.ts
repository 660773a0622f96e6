import type { ExperimentRecord } from '../../store/types';
import type { ApiExperiment } from '../api-types';
import { optionalRfc3339, rfc3339 } from './common';

export function toApiExperiment(e: ExperimentRecord): ApiExperiment {
  return {
    experiment_id: e.experimentId,
    display_name: e.displayName,
    description: e.description,
    namespace: e.namespace,
    storage_state: e.storageState,
    created_at: rfc3339(e.createdAt),
    last_run_created_at: optionalRfc3339(e.lastRunCreatedAt),
  };
}
