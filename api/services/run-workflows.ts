import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { PIPELINE_RUN_WORKFLOW, SEARCH_ATTRIBUTES, TASKS_QUERY } from '../../config/constants';
import type { RunInput, RunSnapshot } from '../../workflows/types';

const searchAttributeKeys = {
  pipelineName: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName, SearchAttributeType.KEYWORD),
  runId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.runId, SearchAttributeType.KEYWORD),
  experimentId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.experimentId, SearchAttributeType.KEYWORD),
};

/**
 * How long a live-state query may take. A query needs a worker to answer it; with none polling,
 * Temporal holds the call, and a run's page must not hang on that, so it falls back to the store.
 */
const LIVE_QUERY_TIMEOUT_MS = 2_000;

/** The API's side of Temporal: starting, cancelling and asking `pipelineRun` workflows (workflow id = run id). */
export class RunWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Starts the run's workflow, tagged with Sluice's Keyword search attributes for the Temporal UI. */
  async start(input: RunInput): Promise<void> {
    const typedSearchAttributes: SearchAttributePair[] = [
      { key: searchAttributeKeys.pipelineName, value: input.pipelineName },
      { key: searchAttributeKeys.runId, value: input.runId },
      { key: searchAttributeKeys.experimentId, value: input.experimentId },
    ];
    await this.client.workflow.start(PIPELINE_RUN_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId: input.runId,
      args: [input],
      typedSearchAttributes,
    });
  }

  /**
   * Requests cancellation; the workflow cancels its running tasks (whose activities kill their
   * process trees) and records CANCELED. Resolves false when there is no open workflow to cancel.
   */
  async cancel(runId: string): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(runId).cancel();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** The workflow's live state, or undefined when it cannot answer in time (no worker running, say). */
  async snapshot(runId: string): Promise<RunSnapshot | undefined> {
    try {
      return await this.client.withDeadline(Date.now() + LIVE_QUERY_TIMEOUT_MS, () =>
        this.client.workflow.getHandle(runId).query<RunSnapshot>(TASKS_QUERY),
      );
    } catch {
      return undefined;
    }
  }
}
