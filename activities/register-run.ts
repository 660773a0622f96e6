import { artifactIdsByKey, DEFAULT_EXPERIMENT_ID } from '../store/ids';
import type { MetadataStore } from '../store/types';
import type { RegisterRunInput } from './types';

/** What the workflow learns from the stored run. */
export interface RegisteredRun {
  experimentId: string;
  pipelineName: string;
}

/**
 * The first step of every run: makes sure the run has its row, then records it RUNNING. A run
 * created through the API already has its row, which is left as it is; a run started by a
 * Temporal Schedule (a recurring run's, recorded with its `recurringRunId`) or
 * `temporal workflow start` gets one here, in the Default experiment unless
 * `experimentId` says otherwise. Both writes are idempotent, so a retry changes nothing. Returns
 * what the stored row says, which is what the run is filed under.
 */
export function createRegisterRun(store: MetadataStore) {
  return async function registerRun(input: RegisterRunInput): Promise<RegisteredRun> {
    const createdAt = new Date(input.createdAt);
    const scheduledAt = input.scheduledAt ? new Date(input.scheduledAt) : createdAt;
    const run = await store.createRun(newRunRecord(input, { createdAt, scheduledAt }));
    await store.recordRunState(run.runId, { state: 'RUNNING', at: createdAt });
    return { experimentId: run.experimentId, pipelineName: run.pipelineName };
  };
}

/**
 * The PENDING row of a run about to start, from what its workflow is given: one shape whether
 * the API creates the row first or the workflow records itself (a schedule's run).
 */
export function newRunRecord(
  input: Omit<RegisterRunInput, 'createdAt' | 'scheduledAt'>,
  times: { createdAt: Date; scheduledAt: Date },
  description = '',
): Parameters<MetadataStore['createRun']>[0] {
  return {
    runId: input.runId,
    displayName: input.runName,
    description,
    experimentId: input.experimentId ?? DEFAULT_EXPERIMENT_ID,
    pipelineId: input.pipelineId,
    pipelineVersionId: input.pipelineVersionId,
    spec: input.spec,
    platformSpec: input.platformSpec,
    parameters: input.parameters,
    inputArtifacts: artifactIdsByKey(input.inputArtifacts ?? {}),
    pipelineRoot: input.pipelineRoot,
    recurringRunId: input.recurringRunId,
    state: 'PENDING',
    ...times,
  };
}
