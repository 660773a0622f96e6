import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { PIPELINE_RUN_WORKFLOW, SEARCH_ATTRIBUTES } from '../../config/constants';
import type { RunInput } from '../../workflows/types';

const searchAttributeKeys = {
  pipelineName: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName, SearchAttributeType.KEYWORD),
  runId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.runId, SearchAttributeType.KEYWORD),
  experimentId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.experimentId, SearchAttributeType.KEYWORD),
};

/** The API's side of Temporal: starting and cancelling `pipelineRun` workflows (workflow id = run id). */
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
}
