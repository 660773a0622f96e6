import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { PIPELINE_RUN_WORKFLOW, SEARCH_ATTRIBUTES } from '../../config/constants';
import { payloadsByteSize } from '../../config/payload-codec';
import type { RunInput } from '../../workflows/types';

const searchAttributeKeys = {
  pipelineName: defineSearchAttributeKey(SEARCH_ATTRIBUTES.pipelineName, SearchAttributeType.KEYWORD),
  runId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.runId, SearchAttributeType.KEYWORD),
  experimentId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.experimentId, SearchAttributeType.KEYWORD),
};

/** Temporal refuses any payload set (a workflow's input, say) above 2 MiB: its default blob size limit. */
export const TEMPORAL_BLOB_LIMIT_BYTES = 2 * 1024 * 1024;
/**
 * Largest start input (after compression) the API accepts: below Temporal's limit with room for
 * what travels with the spec again later (a large loop's child workflows carry the run's input
 * plus their block of items).
 */
export const MAX_START_INPUT_BYTES = 1.5 * 1024 * 1024;

/** The API's side of Temporal: starting and cancelling `pipelineRun` workflows (workflow id = run id). */
export class RunWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Starts the run's workflow, tagged with Sluice's Keyword search attributes for the Temporal UI. */
  async start(input: RunInput): Promise<void> {
    try {
      await this.client.workflow.start(PIPELINE_RUN_WORKFLOW, {
        taskQueue: this.taskQueue,
        workflowId: input.runId,
        args: [input],
        typedSearchAttributes: searchAttributesOf(input),
      });
    } catch (err) {
      // The SDK's own message is only "Failed to start Workflow"; the reason is in its causes.
      throw new Error(describeError(err), { cause: err });
    }
  }

  /**
   * Bytes the start request's input would occupy in Temporal: `input` through the client's own
   * data converter (JSON, then its codecs, gzip in Sluice), as the server measures it against
   * its blob size limit.
   */
  async startInputBytes(input: RunInput): Promise<number> {
    const { payloadConverter, payloadCodecs } = this.client.options.loadedDataConverter;
    let payloads = [payloadConverter.toPayload(input)];
    for (const codec of payloadCodecs) payloads = await codec.encode(payloads);
    return payloadsByteSize(payloads);
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

/**
 * Sluice's Keyword search attributes of a run's workflow. A schedule action's input has no run id
 * yet (each run takes its workflow id), so it has no `SluiceRunId`; Temporal tags those runs with
 * `TemporalScheduledById` instead.
 */
export function searchAttributesOf(input: RunInput): SearchAttributePair[] {
  return [
    { key: searchAttributeKeys.pipelineName, value: input.pipelineName },
    ...(input.runId ? [{ key: searchAttributeKeys.runId, value: input.runId }] : []),
    { key: searchAttributeKeys.experimentId, value: input.experimentId },
  ];
}

/**
 * An error's message followed by its causes' (a gRPC status such as "3 INVALID_ARGUMENT: Blob
 * data size exceeds limit."), each once.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const message = e instanceof Error ? e.message : String(e);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ') || 'unknown error';
}
