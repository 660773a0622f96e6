import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { isFinal } from '../ir/states';
import type { MetadataStore, RunError } from '../store/types';
import type { TaskOutputs } from '../ir/types';
import { collectOutputs } from './collect-outputs';
import { launchNameFor } from '../ir/task-path';
import { taskLayout } from './layout';
import { prepareLaunch } from './prepare-launch';
import { TaskRecorder } from './task-recorder';
import { FailureTypes } from '../config/constants';
import type { TaskActivityInput, TaskActivityResult } from './types';
import type { LaunchHandle, LaunchStatus, Runner } from './runners/runner';

export interface RunTaskDeps {
  store: MetadataStore;
  runner: Runner;
  /** Base environment of every step (PATH with the venv first, locale, …). */
  stepEnv: Record<string, string>;
  /** How long a killed step gets between SIGTERM and SIGKILL. */
  killGraceMs: number;
}

/** What a heartbeat carries: enough for the next attempt, on any worker, to find the launch. */
interface HeartbeatDetails {
  launch: number;
}

type LaunchChoice =
  | { kind: 'launch'; number: number; resume: boolean }
  | { kind: 'done'; result: TaskActivityResult };

/**
 * The activity behind every task: decide which launch this attempt owns, start it (or reattach
 * to it after a worker crash), watch it while heartbeating, then collect and record the outputs.
 *
 * Temporal retries this activity both for worker failures and for step failures. A worker
 * failure must never re-run a step, so the launch number comes from the store and the last
 * heartbeat, not from the activity attempt: an unfinished launch is reattached, a finished
 * failed one is followed by the next launch, and only `maxStepAttempts` launches are allowed.
 */
export function createRunTask(deps: RunTaskDeps) {
  return async function runTask(input: TaskActivityInput): Promise<TaskActivityResult> {
    const ctx = Context.current();
    const recorder = new TaskRecorder(deps.store, input);
    const choice = await chooseLaunch(deps.store, recorder, input, ctx.info.heartbeatDetails as HeartbeatDetails | undefined);
    if (choice.kind === 'done') return choice.result;

    const n = choice.number;
    const layout = taskLayout(input.pipelineRoot, input.runId, input.taskPath);
    const name = launchNameFor(input.runId, input.taskPath, n);
    const plan = prepareLaunch(input, { launch: n, layout, launchName: name, baseEnv: deps.stepEnv });
    if (!choice.resume) {
      // A fresh launch must not see a failed launch's partial outputs.
      for (const path of plan.outputPaths) rmSync(path, { recursive: true, force: true });
      for (const path of plan.outputPaths) mkdirSync(dirname(path), { recursive: true });
      mkdirSync(dirname(plan.spec.logFile), { recursive: true });
    }
    await recorder.started(n, name, plan.spec.logFile);

    const handle = await deps.runner.start(plan.spec);
    const heartbeat = () => ctx.heartbeat({ launch: n } satisfies HeartbeatDetails);
    heartbeat();
    const timer = setInterval(heartbeat, heartbeatEveryMs(ctx.info.heartbeatTimeoutMs));
    let status: LaunchStatus;
    try {
      status = await deps.runner.wait(handle, ctx.cancellationSignal);
    } finally {
      clearInterval(timer);
    }
    if (status.status === 'running') return handleCancellation(ctx, deps, recorder, handle, n);

    if (status.status === 'exited' && status.exitCode === 0) {
      let outputs: TaskOutputs;
      try {
        outputs = collectOutputs(input, plan);
      } catch (err) {
        return failLaunch(recorder, input, n, { message: `outputs of ${input.taskPath}: ${(err as Error).message}`, type: FailureTypes.invalidTask }, 0, plan.spec.logFile);
      }
      await recorder.succeeded(n, outputs);
      return { outputs, attempts: n, podName: name };
    }
    const message = status.status === 'exited'
      ? `task ${input.taskPath} failed: exit code ${status.exitCode}`
      : `task ${input.taskPath} failed: ${status.reason}`;
    return failLaunch(recorder, input, n, { message, type: FailureTypes.stepFailed }, status.status === 'exited' ? status.exitCode : undefined, plan.spec.logFile);
  };
}

async function chooseLaunch(
  store: MetadataStore,
  recorder: TaskRecorder,
  input: TaskActivityInput,
  details: HeartbeatDetails | undefined,
): Promise<LaunchChoice> {
  const attempts = await store.listTaskAttempts(input.runId, input.taskPath);
  for (let n = details?.launch ?? 1; ; n++) {
    const attempt = attempts.find((a) => a.attempt === n);
    if (!attempt || !isFinal(attempt.state)) return { kind: 'launch', number: n, resume: attempt !== undefined };
    if (attempt.state === 'SUCCEEDED') return { kind: 'done', result: await recorder.recordedResult(n, attempt.podName) };
    if (n >= input.maxStepAttempts) {
      // An earlier attempt recorded the final failure but crashed before reporting it.
      throw ApplicationFailure.create({ message: attempt.error?.message ?? `task ${input.taskPath} failed`, type: FailureTypes.stepFailed, nonRetryable: true });
    }
  }
}

async function failLaunch(
  recorder: TaskRecorder,
  input: TaskActivityInput,
  n: number,
  error: RunError,
  exitCode: number | undefined,
  logFile: string,
): Promise<never> {
  const tail = logTail(logFile);
  const last = n >= input.maxStepAttempts || error.type === FailureTypes.invalidTask;
  const full: RunError = {
    message: `${error.message}${last ? '' : ` (launch ${n} of ${input.maxStepAttempts}, will retry)`}${tail ? `\n--- last lines of the log ---\n${tail}` : ''}`,
    type: last ? error.type : FailureTypes.stepFailedRetryable,
    details: { exitCode, launch: n, logUri: logFile },
  };
  await recorder.failed(n, full, exitCode, last);
  throw ApplicationFailure.create({ message: full.message, type: full.type, nonRetryable: last, details: [full.details] });
}

async function handleCancellation(
  ctx: Context,
  deps: RunTaskDeps,
  recorder: TaskRecorder,
  handle: LaunchHandle,
  n: number,
): Promise<never> {
  const reason = await ctx.cancelled.catch((err: unknown) => err);
  if (reason instanceof CancelledFailure && reason.message === 'WORKER_SHUTDOWN') {
    // Leave the step running: the retry on another worker reattaches to it.
    throw ApplicationFailure.create({ message: 'worker shut down while the step ran', type: 'WorkerShutdown' });
  }
  await deps.runner.kill(handle, deps.killGraceMs);
  await recorder.canceled(n);
  throw reason instanceof CancelledFailure ? reason : new CancelledFailure('task canceled');
}

function heartbeatEveryMs(timeoutMs: number | undefined): number {
  return Math.max(500, Math.min(10_000, (timeoutMs ?? 30_000) / 3));
}

/** The last lines of a launch log, for the error a user sees first. */
function logTail(logFile: string, maxLines = 20, maxBytes = 4096): string {
  if (!existsSync(logFile)) return '';
  const text = readFileSync(logFile);
  const slice = text.subarray(Math.max(0, text.length - maxBytes)).toString('utf8');
  return slice.trimEnd().split('\n').slice(-maxLines).join('\n');
}
