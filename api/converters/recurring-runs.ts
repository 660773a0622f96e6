import type { RecurringRunRecord } from '../../store/types';
import type { ApiRecurringRun } from '../api-types';
import { rfc3339 } from './common';

/** KFP's status of a recurring run of a mode. */
export function statusOf(mode: RecurringRunRecord['mode']): ApiRecurringRun['status'] {
  return mode === 'ENABLE' ? 'ENABLED' : 'DISABLED';
}

/** Where the recurring run's runs get their pipeline: the version pinned at creation, or the spec it was given. */
export function toApiPipelineSource(r: RecurringRunRecord): Pick<ApiRecurringRun, 'pipeline_version_reference' | 'pipeline_spec'> {
  return r.pipelineId
    ? { pipeline_version_reference: { pipeline_id: r.pipelineId, pipeline_version_id: r.pipelineVersionId } }
    : { pipeline_spec: r.pipelineSpec };
}

export function toApiRecurringRun(r: RecurringRunRecord): ApiRecurringRun {
  return {
    recurring_run_id: r.recurringRunId,
    display_name: r.displayName,
    description: r.description,
    ...toApiPipelineSource(r),
    runtime_config: r.runtimeConfig,
    max_concurrency: String(r.maxConcurrency),
    trigger: r.trigger,
    mode: r.mode,
    status: statusOf(r.mode),
    no_catchup: r.noCatchup,
    experiment_id: r.experimentId,
    namespace: r.namespace,
    created_at: rfc3339(r.createdAt),
    updated_at: rfc3339(r.updatedAt),
  };
}
