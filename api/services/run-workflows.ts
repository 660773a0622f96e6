import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SearchAttributeType, WorkflowIdReusePolicy, defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { PIPELINE_RUN_WORKFLOW, SEARCH_ATTRIBUTES } from '../../config/constants';
import { payloadsByteSize } from '../../config/payload-codec';
import type { RunInput } from '../../workflows/types';
import { describeError } from '../../config/describe-error';
import { ConflictError, FailedPreconditionError, UnavailableError } from '../errors';

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

/** gRPC's NOT_FOUND: Temporal's answer for a workflow id it does not know (or no longer keeps). */
const grpcNotFound = 5;

/** How long an answer from Temporal vouches for it before run creation asks again. */
const REACHABLE_FOR_MS = 2_000;
/** How long run creation waits for Temporal to answer before it refuses with 503. */
const PROBE_DEADLINE_MS = 2_000;

/** The API's side of Temporal: starting and cancelling `pipelineRun` workflows (workflow id = run id). */
export class RunWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** When Temporal last answered: within `REACHABLE_FOR_MS` of that, it is not asked again. */
  private reachableAt = 0;
  private probing: Promise<void> | undefined;

  /**
   * Resolves when Temporal's frontend answers (asked at most once per `REACHABLE_FOR_MS`, one
   * question for any number of concurrent callers), so that run creation fails fast while it
   * is down instead of writing a run whose workflow start would hang in the client's retries.
   * @throws UnavailableError naming Temporal and what the client saw
   */
  async assertReachable(): Promise<void> {
    if (Date.now() - this.reachableAt < REACHABLE_FOR_MS) return;
    this.probing ??= this.client.connection
      .withDeadline(Date.now() + PROBE_DEADLINE_MS, () => this.client.workflowService.getSystemInfo({}))
      .then(() => void (this.reachableAt = Date.now()))
      .finally(() => (this.probing = undefined));
    try {
      await this.probing;
    } catch (err) {
      throw new UnavailableError(`Temporal is unreachable (${describeError(err)}); the run was not created: retry shortly`, { cause: err });
    }
  }

  /** Starts the run's workflow, tagged with Sluice's Keyword search attributes for the Temporal UI. */
  async start(input: RunInput): Promise<void> {
    await this.startExecution(input.runId, input);
  }

  /**
   * Starts retry `attempt` of a run: a new execution of its workflow under the same id, whose
   * input is the previous execution's (read from the first event of its history, so the retry
   * runs exactly the spec, parameters and settings the run had) marked as that retry. A
   * scheduled run's input has no run id; the workflow takes it from its id again, and the
   * creation time from the run. Temporal starts it only when the previous execution has closed
   * without succeeding (failed, canceled, terminated, timed out).
   * @throws ConflictError when the previous execution is still open or succeeded
   * @throws FailedPreconditionError when Temporal has no history of the run (its start failed, or past retention)
   */
  async startRetry(runId: string, attempt: number, createdAt: Date): Promise<void> {
    const previous = await this.lastInput(runId);
    const input: RunInput = { ...previous, createdAt: previous.createdAt || createdAt.toISOString(), retry: { attempt } };
    try {
      await this.startExecution(runId, input, WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY);
    } catch (err) {
      if (err instanceof Error && err.cause instanceof WorkflowExecutionAlreadyStartedError) {
        throw new ConflictError(`run "${runId}": its workflow is still open or ended successfully, so it cannot be retried now`, { cause: err });
      }
      throw err;
    }
  }

  /** The input the run's latest workflow execution was started with. */
  private async lastInput(runId: string): Promise<RunInput> {
    const { namespace, loadedDataConverter } = this.client.options;
    const { history } = await this.client.workflowService
      .getWorkflowExecutionHistory({ namespace, execution: { workflowId: runId }, maximumPageSize: 1 })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code === grpcNotFound) return { history: undefined };
        throw err;
      });
    const payloads = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    if (!payloads?.length) {
      throw new FailedPreconditionError(`run "${runId}": Temporal has no workflow history of it (never started, or past the namespace's retention), so it cannot be retried`);
    }
    return decodeFromPayloadsAtIndex<RunInput>(loadedDataConverter, 0, payloads);
  }

  private async startExecution(workflowId: string, input: RunInput, workflowIdReusePolicy?: WorkflowIdReusePolicy): Promise<void> {
    try {
      await this.client.workflow.start(PIPELINE_RUN_WORKFLOW, {
        taskQueue: this.taskQueue,
        workflowId,
        args: [input],
        typedSearchAttributes: searchAttributesOf(input),
        workflowIdReusePolicy,
      });
      this.reachableAt = Date.now();
    } catch (err) {
      // The SDK's own message is only "Failed to start Workflow"; the reason is in its causes.
      throw new Error(describeError(err), { cause: err });
    }
  }

  /**
   * Bytes the start request's input would occupy in Temporal: `input` through the client's own
   * data converter (JSON, then its codecs, gzip in Sluice), as the server measures it against
   * its blob size limit. An input whose plain JSON payload is within `enough` bytes is measured
   * as that, uncompressed: the codec sends a payload that does not shrink as it was, so only
   * its metadata could add a few bytes, and compressing a large spec once more than the start
   * itself does cost every run's creation a gzip of it.
   */
  async startInputBytes(input: RunInput, enough = 0): Promise<number> {
    const { payloadConverter, payloadCodecs } = this.client.options.loadedDataConverter;
    let payloads = [payloadConverter.toPayload(input)];
    const plain = payloadsByteSize(payloads);
    if (plain <= enough) return plain;
    for (const codec of payloadCodecs) payloads = await codec.encode(payloads);
    return payloadsByteSize(payloads);
  }

  /**
   * Requests cancellation; the workflow cancels its running tasks (whose activities kill their
   * process trees) and records CANCELED. Resolves false when there is no open workflow to cancel:
   * none was started, or the latest execution has closed (Temporal accepts a cancel request for a
   * closed execution and nothing records it; a retry whose API died after its claim leaves one).
   */
  async cancel(runId: string): Promise<boolean> {
    const handle = this.client.workflow.getHandle(runId);
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return false;
      await handle.cancel();
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
