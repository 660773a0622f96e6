import type { RunRecord, RunStateChange, RunSummary } from '../../store/types';
import type { ApiInputArtifact, ApiRun, ApiRunDetails, ApiRuntimeConfig, ApiRuntimeStatus } from '../api-types';
import { optionalRfc3339, rfc3339, toRunErrorStatus } from './common';

export function toApiRuntimeStatus(change: RunStateChange): ApiRuntimeStatus {
  return { update_time: rfc3339(change.at), state: change.state, error: change.error && toRunErrorStatus(change.error) };
}

/** A run as KFP's `Run`, as list pages and `POST /runs` show it: without its spec and task details. */
export function toApiRun(run: RunSummary): ApiRun {
  return {
    run_id: run.runId,
    experiment_id: run.experimentId,
    display_name: run.displayName,
    description: run.description,
    storage_state: run.storageState,
    pipeline_version_reference: run.pipelineId
      ? { pipeline_id: run.pipelineId, pipeline_version_id: run.pipelineVersionId }
      : undefined,
    pipeline_name: run.pipelineName,
    runtime_config: toApiRuntimeConfig(run),
    created_at: rfc3339(run.createdAt),
    scheduled_at: rfc3339(run.scheduledAt),
    finished_at: optionalRfc3339(run.finishedAt),
    state: run.state,
    error: run.error && toRunErrorStatus(run.error),
    state_history: run.stateHistory.map(toApiRuntimeStatus),
    recurring_run_id: run.recurringRunId,
    retry_count: run.retryCount,
  };
}

/** As a run was given: `artifact_id` for one artifact, `artifact_ids` for several; either may be sent again. */
function toApiRuntimeConfig(run: RunSummary): ApiRuntimeConfig {
  const artifacts = Object.entries(run.inputArtifacts);
  const inputArtifact = (ids: string[]): ApiInputArtifact => (ids.length === 1 ? { artifact_id: ids[0] } : { artifact_ids: ids });
  return {
    parameters: run.parameters,
    input_artifacts: artifacts.length > 0 ? Object.fromEntries(artifacts.map(([name, ids]) => [name, inputArtifact(ids)])) : undefined,
    pipeline_root: run.pipelineRoot,
  };
}

/** A single-run read (`GET /runs/{id}`): the run with the spec it executes and its (bounded) task details. */
export function toApiRunWithDetails(run: RunRecord, details: ApiRunDetails): ApiRun {
  return { ...toApiRun(run), pipeline_spec: run.spec, run_details: details };
}
