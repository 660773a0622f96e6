import { ApplicationFailure, CancellationScope, CancelledFailure, defineQuery, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureTypes, TASKS_QUERY } from '../config/constants';
import { ROOT_PATH } from '../ir/task-path';
import type { RunState } from '../ir/states';
import type { RunError } from '../store/types';
import { RunContext, runDag, type Ending } from './dag-run';
import { legacyRootRun } from './legacy-root-run';
import { LOCAL_ACTIVITIES_UNCANCELLED } from './local-lane';
import { StateWriter } from './state-writer';
import type { RunInput, RunSnapshot } from './types';

export const tasksQuery = defineQuery<RunSnapshot>(TASKS_QUERY);

/** The live query lists at most this many tasks (a 10,000-iteration loop stays a small answer); `counts` covers all. */
const QUERY_TASKS = 1000;

/**
 * Patch: a run with a workspace has its runner make it before the first task (and learns where
 * steps see it), and remove it once the run has ended.
 */
const RUN_WORKSPACE = 'run-workspace';

/**
 * Patch: a retry's execution (`RunInput.retry`) reopens the run's unfinished tasks instead of
 * registering the run, and its tasks reuse what succeeded before. Asked only by retries.
 */
const RUN_RETRY = 'run-retry';

/**
 * Patch: the run's own records (`registerRun` first, `recordRunState` last) are local activities,
 * as the task state writes are (`state-writer.ts`): one short transaction each, which as regular
 * activities cost a workflow task and two server round trips apiece (~25 ms of every run).
 */
const RUN_RECORDS_LOCAL = 'run-records-local';

/** Store writes must not be lost to a database outage, nor the workspace to an API server's: retried until they land. */
const writeOptions = { startToCloseTimeout: '1 minute', retry: { initialInterval: '1s', maximumInterval: '30s' } } as const;
const remote = proxyActivities<Activities>(writeOptions);
const local = proxyLocalActivities<Activities>(writeOptions);
const { reopenRun, prepareWorkspace, removeWorkspace } = remote;

/**
 * One pipeline run: records itself, interprets the root DAG (sub-DAGs, conditions, loops and
 * exit handlers recursively, see dag-run.ts), and records its final state in a non-cancellable
 * `finally` that starts from FAILED, so neither a crash of the interpreter nor an early cancel
 * leaves the run without a final state.
 */
export async function pipelineRun(given: RunInput): Promise<RunSnapshot> {
  const { input, scheduledAt } = forThisWorkflow(given);
  if (!patched('dag-interpreter')) return legacyRootRun(input, tasksQuery);
  const writer = new StateWriter(input.runId);
  let ctx = new RunContext(input, writer);
  let runState: RunState = 'RUNNING';
  const snapshot = (): RunSnapshot => {
    const tasks = [...ctx.snapshots.values()];
    const counts: Record<string, number> = {};
    for (const task of tasks) counts[task.state] = (counts[task.state] ?? 0) + 1;
    return { runId: input.runId, state: runState, tasks: tasks.slice(0, QUERY_TASKS), counts };
  };
  setHandler(tasksQuery, snapshot);

  // Asked only by runs with a workspace, so the histories of all others replay as they were.
  const workspacePath = input.workspacePath;
  const workspace = workspacePath !== undefined && patched(RUN_WORKSPACE);
  const { registerRun, recordRunState } = patched(RUN_RECORDS_LOCAL) ? local : remote;
  let finalState: RunState = 'FAILED';
  let error: RunError | undefined = { message: 'the run stopped before it finished', type: FailureTypes.runFailed };
  try {
    if (input.retry && patched(RUN_RETRY)) await reopenRun({ runId: input.runId, attempt: input.retry.attempt });
    else await uncancelled(() => registerRun({
      runId: input.runId,
      runName: input.runName,
      experimentId: input.experimentId,
      recurringRunId: input.recurringRunId,
      pipelineId: input.pipelineId,
      pipelineVersionId: input.pipelineVersionId,
      spec: input.spec,
      platformSpec: input.platformSpec,
      parameters: input.parameters,
      inputArtifacts: input.inputArtifacts,
      pipelineRoot: input.pipelineRoot,
      createdAt: input.createdAt || workflowInfo().startTime.toISOString(),
      scheduledAt,
    }));
    if (workspace) {
      // Before any task: `{{$.workspace_path}}` is where the runner has its steps see the workspace.
      const path = await prepareWorkspace({ runId: input.runId, platformSpec: input.platformSpec, workspacePath });
      ctx = new RunContext({ ...input, workspacePath: path }, writer);
    }
    const ending: Ending = await runDag(ctx, { path: ROOT_PATH, componentName: 'root', component: input.spec.root, inputs: { parameters: input.parameters, artifacts: input.inputArtifacts ?? {} } });
    finalState = CancellationScope.current().consideredCancelled ? 'CANCELED' : ending.end === 'NOT_TRIGGERED' || ending.end === 'SKIPPED' ? 'SUCCEEDED' : ending.end;
    error = finalState === 'FAILED' ? (ending.error ?? { message: 'run failed', type: FailureTypes.runFailed }) : finalState === 'CANCELED' ? canceled(ending) : undefined;
  } catch (err) {
    if (CancellationScope.current().consideredCancelled) {
      finalState = 'CANCELED';
      error = canceled(undefined);
    } else {
      error = { message: (err as Error).message, type: FailureTypes.runFailed };
      throw err;
    }
  } finally {
    await CancellationScope.nonCancellable(async () => {
      await writer.drain();
      // A failed interpreter may leave a task running inline: the run's record waits for the lane.
      await writer.lane.hold(() => recordRunState({ runId: input.runId, state: finalState, at: new Date().toISOString(), error, attempt: input.retry?.attempt }));
      // A workspace the runner may not remove (a final failure) leaves the run's recorded outcome as it is.
      if (workspace) await removeWorkspace({ runId: input.runId }).catch(() => undefined);
    });
    // Only now, so the live query never reports a final state the store does not have yet.
    runState = finalState;
  }
  if (runState === 'CANCELED') throw new CancelledFailure(`run ${input.runId} was canceled`);
  if (runState === 'FAILED') throw ApplicationFailure.create({ message: error?.message ?? 'run failed', type: FailureTypes.runFailed, nonRetryable: true });
  return snapshot();
}

/**
 * The run this workflow is. A run started once (API, `temporal workflow start`) carries its id;
 * a recurring run's Temporal Schedule starts every run with one input whose `runId` is empty, and
 * names each workflow `<recurring run id>-<scheduled time, RFC3339>`: that workflow id becomes the
 * run id (so the invariant run id = workflow id holds), the time its `scheduledAt`, and the start
 * of the workflow its creation time. Inputs that carry a run id (every history recorded before
 * recurring runs existed) pass through unchanged, so no `patched()` marker is needed.
 */
export function forThisWorkflow(given: RunInput): { input: RunInput; scheduledAt?: string } {
  if (given.runId) return { input: given };
  const { workflowId, startTime } = workflowInfo();
  // A retry of a scheduled run keeps the run's creation time, which the API puts in its input.
  const createdAt = given.createdAt || startTime.toISOString();
  const suffix = given.recurringRunId && workflowId.startsWith(`${given.recurringRunId}-`) ? workflowId.slice(given.recurringRunId.length + 1) : '';
  const scheduled = suffix ? new Date(suffix) : undefined;
  const scheduledAt = scheduled && !Number.isNaN(scheduled.getTime()) ? scheduled.toISOString() : undefined;
  const input: RunInput = {
    ...given,
    runId: workflowId,
    runName: suffix ? `${given.runName}-${suffix}` : given.runName,
    createdAt,
    // As the API sets it for a run it starts (api/services/run-service.ts), under this run's own id.
    ...(given.workspacePath === undefined ? {} : { workspacePath: `${given.pipelineRoot.replace(/\/+$/, '')}/${workflowId}/workspace` }),
  };
  return { input, scheduledAt };
}

/** `work` (a local activity) shielded from the run's cancellation, since patch `local-activities-uncancelled`. */
function uncancelled<T>(work: () => Promise<T>): Promise<T> {
  return patched(LOCAL_ACTIVITIES_UNCANCELLED) ? CancellationScope.nonCancellable(work) : work();
}

/** Why a canceled run ended so: a user sees whether the terminate came before or after its tasks finished. */
function canceled(ending: Ending | undefined): RunError {
  const message = ending?.end === 'SUCCEEDED'
    ? 'terminated on request after every task had finished; the tasks\' outputs are complete'
    : 'terminated on request; tasks that had not finished were canceled';
  return { message, type: 'Canceled' };
}
