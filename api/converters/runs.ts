import type { RunRecord, RunStateChange } from '../../store/types';
import type { ApiRun, ApiRuntimeStatus, ApiTaskDetail } from '../api-types';
import { optionalRfc3339, rfc3339, toRunErrorStatus } from './common';

export function toApiRuntimeStatus(change: RunStateChange): ApiRuntimeStatus {
  return { update_time: rfc3339(change.at), state: change.state, error: change.error && toRunErrorStatus(change.error) };
}

/**
 * A run as KFP's `Run`. With `taskDetails` (a single-run read) it also carries `run_details`
 * and the spec the run executes; list pages leave both out to stay small.
 */
export function toApiRun(run: RunRecord, taskDetails?: ApiTaskDetail[]): ApiRun {
  return {
    run_id: run.runId,
    experiment_id: run.experimentId,
    display_name: run.displayName,
    description: run.description,
    storage_state: run.storageState,
    pipeline_version_reference: run.pipelineId
      ? { pipeline_id: run.pipelineId, pipeline_version_id: run.pipelineVersionId }
      : undefined,
    pipeline_spec: taskDetails && run.spec,
    pipeline_name: run.spec.pipelineInfo.name,
    runtime_config: { parameters: run.parameters, pipeline_root: run.pipelineRoot },
    created_at: rfc3339(run.createdAt),
    scheduled_at: rfc3339(run.scheduledAt),
    finished_at: optionalRfc3339(run.finishedAt),
    state: run.state,
    error: run.error && toRunErrorStatus(run.error),
    state_history: run.stateHistory.map(toApiRuntimeStatus),
    run_details: taskDetails && { task_details: taskDetails },
  };
}
