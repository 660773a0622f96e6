import { mkdirSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { isFinal } from '../ir/states';
import type { MetadataStore, RunError, TaskAttemptRecord, TaskRecord } from '../store/types';
import type { TaskOutputs } from '../ir/types';
import { collectOutputs } from './collect-outputs';
import { launchNameFor } from '../ir/task-path';
import { taskLayout } from './layout';
import { prepareLaunch, type LaunchPlan } from './prepare-launch';
import { cacheEntryFor, cacheScopeFor, consultCache } from './task-cache';
import { TaskRecorder } from './task-recorder';
import { runSeries } from './task-series';
import { FailureTypes } from '../config/constants';
import type { DetachedTask, TaskActivityInput, TaskActivityResult } from './types';
import type { PythonEnvs } from './runners/python-envs';
import type { LaunchHandle, LaunchProgress, LaunchStatus, Runner } from './runners/runner';

export interface RunTaskDeps {
  store: MetadataStore;
  runner: Runner;
  /** Base environment of every step (PATH with the venv first, locale, …). */
  stepEnv: Record<string, string>;
  /** How long a killed step gets between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Builds the Python environments lightweight components ask for (local steps only). */
  pythonEnvs?: PythonEnvs;
  /** The deployment's cache switch (KFP's `CacheEnabled`): off, no task looks up or writes the cache. */
  cacheEnabled: boolean;
}

/**
 * What a heartbeat carries: enough for the next attempt, on any worker, to find the launch, and
 * what the runner last reported of it (a pod's name and phase), for people reading the activity.
 */
interface HeartbeatDetails {
  /** The task the beat is about: a series (`runTaskSeries`) beats for each of its tasks in turn. Absent before series existed. */
  task?: string;
  launch: number;
  progress?: LaunchProgress;
}

type LaunchChoice =
  /** `startedAt`: when a launch being resumed started (its deadline runs from then). */
  | { kind: 'launch'; number: number; resume: boolean; startedAt?: Date }
  | { kind: 'done'; result: TaskActivityResult };

/**
 * The activities behind every task: decide which launch this attempt owns, start it (or reattach
 * to it after a worker crash), watch it while heartbeating, then collect and record the outputs.
 *
 * Temporal retries them both for worker failures and for step failures. A worker
 * failure must never re-run a step, so the launch number comes from the store and the last
 * heartbeat, not from the activity attempt: an unfinished launch is reattached, a finished
 * failed one is followed by the next launch, and only `maxStepAttempts` launches are allowed.
 * Only a cancellation of the run itself stops a step (see `handleCancellation`).
 *
 * `runTaskInline` is the same work as a local activity, inside the workflow task that scheduled
 * it: most steps end within `detachAfterMs`, and then the step costs no round trip through
 * Temporal's task queues. A step that runs longer is left running and the activity returns
 * `{ detached }`: the workflow then schedules `runTask`, which reattaches to the launch as it
 * would after a worker crash, and heartbeats for as long as the step runs.
 */
export function createTaskActivities(deps: RunTaskDeps) {
  const execute = taskExecutor(deps);
  return {
    runTask: (input: TaskActivityInput) => execute(input, undefined) as Promise<TaskActivityResult>,
    runTaskInline: (input: TaskActivityInput, detachAfterMs: number) => execute(input, detachAfterMs),
    // `startWindowMs` came with patch `series-even-fill`; a workflow from before it starts tasks for `windowMs`.
    runTaskSeries: (inputs: TaskActivityInput[], windowMs: number, startWindowMs = windowMs) =>
      runSeries(execute, inputs, { windowMs, startWindowMs }, (runId, taskPaths) => deps.store.listTaskAttempts(runId, taskPaths)),
    stopTask: (input: TaskActivityInput) => stopTask(deps, input),
  };
}

/**
 * Stops the task's unfinished launch and records it CANCELED. The workflow calls it when it
 * cancels a task's inline run: a local activity is cancelled alike when the workflow asks and
 * when the worker evicts the workflow from its cache, so the inline run never stops its step
 * itself (see `handleCancellation`).
 */
async function stopTask(deps: RunTaskDeps, input: TaskActivityInput): Promise<void> {
  const attempts = await deps.store.listTaskAttempts(input.runId, input.taskPath);
  const open = attempts.filter((a) => !isFinal(a.state)).at(-1);
  if (!open) return;
  const plan = planLaunch(deps, input, open.attempt);
  await cancelLaunch(deps, new TaskRecorder(deps.store, input, 'CONTAINER'), await deps.runner.attach(plan.spec), open.attempt, plan);
}

/**
 * Kills launch `n` (when it runs), seals it and records it CANCELED: a cancellation the workflow
 * asked for. Sealed even without a handle: a launch that ended before it was stopped still holds
 * its sandbox until sealed; one that never started has nothing the seal changes.
 */
async function cancelLaunch(deps: RunTaskDeps, recorder: TaskRecorder, handle: LaunchHandle | undefined, n: number, plan: LaunchPlan): Promise<void> {
  if (handle) await deps.runner.kill(handle, deps.killGraceMs);
  await deps.runner.seal?.(plan.spec);
  await recorder.canceled(n);
}

function planLaunch(deps: RunTaskDeps, input: TaskActivityInput, n: number): LaunchPlan {
  const layout = taskLayout(input.pipelineRoot, input.runId, input.taskPath);
  const launchName = launchNameFor(input.runId, input.taskPath, n);
  return prepareLaunch(input, { launch: n, layout, launchName, baseEnv: deps.stepEnv, workspaceIsVolume: deps.runner.workspaces !== undefined, kubernetesSteps: deps.runner.carriesKubernetesSteps });
}

/**
 * How long a launch's start record may wait to be written with its end (`startedSoon`): most
 * steps of a wide fan-out or a large loop end sooner, and each then costs one statement less.
 * A step still running after it shows RUNNING with its real start time from then on.
 */
const START_RECORD_WITHIN_MS = 250;

export type TaskExecutor = ReturnType<typeof taskExecutor>;

function taskExecutor(deps: RunTaskDeps) {
  /** `known`: the task's recorded launches, read for a whole series at its start; read now when absent. */
  return async function runTask(input: TaskActivityInput, detachAfterMs: number | undefined, known?: readonly TaskAttemptRecord[]): Promise<TaskActivityResult | DetachedTask> {
    const ctx = Context.current();
    const detach = detachAfterMs === undefined ? undefined : AbortSignal.timeout(detachAfterMs);
    // Entries are the run's namespace's (and pipeline's): one namespace never reuses another's outputs.
    const scope = await cacheScopeFor(deps.store, input, deps.cacheEnabled);
    const recorder = new TaskRecorder(deps.store, input, 'CONTAINER', cacheEntryFor(input, scope));
    // In a retried run, what succeeded (or came from cache) before is reused as recorded, never
    // run again; a reopened task's new launches follow the ones it keeps as earlier attempts.
    const recorded = input.runAttempt === undefined ? undefined : await deps.store.getTask(input.runId, input.taskPath);
    if (recorded && isReusable(recorded)) return recorder.recordedResult(recorded.attempts, recorded.podName ?? '');
    const launchBase = recorded?.launchBase ?? 0;
    const lastLaunch = launchBase + input.maxStepAttempts;
    // Only a task that has not launched yet asks the cache. It asks before a launch is chosen:
    // a slow lookup between that choice and the launch's start would let a concurrent attempt
    // (after a heartbeat timeout) start the launch, whose outputs this one would then clear.
    // A hit returns here: no Python environment is built, no launch claimed or started.
    const attempts = known ?? (await deps.store.listTaskAttempts(input.runId, input.taskPath));
    const cache = input.cache !== undefined && attempts.length === 0 ? await consultCache(deps.store, scope, deps.cacheEnabled, recorder, input, ctx.info.attempt > 1) : {};
    if (cache.hit) return cache.hit;
    const choice = await chooseLaunch(attempts, recorder, input, launchBase, ownDetails(ctx.info.heartbeatDetails as HeartbeatDetails | undefined, input.taskPath));
    if (choice.kind === 'done') return choice.result;

    const n = choice.number;
    const name = launchNameFor(input.runId, input.taskPath, n);
    let plan: LaunchPlan;
    try {
      plan = planLaunch(deps, input, n);
    } catch (err) {
      // No retry can build a command the spec does not allow: record it, so the task does not stay RUNNING.
      if (!(err instanceof ApplicationFailure)) throw err;
      return failLaunch(recorder, lastLaunch, n, { message: err.message, type: err.type ?? FailureTypes.invalidTask }, undefined, undefined);
    }
    if (!choice.resume) {
      // An environment to build takes seconds to minutes: the launch is left to `runTask`, as a
      // fresh launch, before anything of it is recorded.
      if (detach && deps.pythonEnvs && !deps.pythonEnvs.isBuilt(plan.spec.argv)) return { detached: n };
      // A fresh launch must not see a failed launch's partial outputs: only a task launched
      // before (in this run, or in the run before a retry) can have any.
      if (attempts.length > 0) await Promise.all(plan.outputPaths.map((path) => rm(path, { recursive: true, force: true })));
      // The outputs' directories are among the writable ones (`prepareLaunch`): each made once,
      // synchronously (a system call or two each; see `sealTree`).
      for (const dir of new Set([...plan.spec.writableDirs, dirname(plan.spec.logFile)])) mkdirSync(dir, { recursive: true });
    }
    // A resumed launch was recorded as started by the attempt that started it; recording it
    // again would move its start time to the time of the reattach. A new one's start is written
    // with its end when the step ends within START_RECORD_WITHIN_MS (one statement instead of
    // two), else then: a launch is found again by the runner's own records (the launch's files,
    // a pod's name), never by this one, so a crash before it reattaches as ever.
    const startedAt = choice.startedAt ?? new Date();
    if (!choice.resume) recorder.startedSoon(n, startedAt, START_RECORD_WITHIN_MS, name, plan.spec.logFile, plan.resources, n === 1 ? cache.info : undefined);
    try {
      // No beat at once: the server times the first heartbeat from the attempt's start anyway, and
      // the launch number is in the store, so a step that ends within the interval costs no beat.
      // Beating from here on keeps an attempt alive while its Python environment is built.
      let progress: LaunchProgress | undefined;
      const heartbeat = () => ctx.heartbeat({ task: input.taskPath, launch: n, progress } satisfies HeartbeatDetails);
      const timer = setInterval(heartbeat, heartbeatEveryMs(ctx.info.heartbeatTimeoutMs));
      let handle: LaunchHandle;
      let status: LaunchStatus;
      let deadline: ReturnType<typeof deadlineSignal>;
      try {
        // Also for a resumed launch: an attempt that timed out while the environment was built
        // never started the step, and the build it shares (or finds done) is what the step needs.
        if (deps.pythonEnvs) {
          try {
            const python = await deps.pythonEnvs.envFor(plan.spec.argv, plan.spec.logFile, plan.spec.env);
            plan.spec.env = python.env;
            plan.spec.requirementsInstalled = python.installed;
          } catch (err) {
            // Like a failed `pip install` in the step itself: KFP's retry policy decides. A resumed
            // launch may already be running, so it goes on (its own pip installs what it needs).
            if (!choice.resume) return await failLaunch(recorder, lastLaunch, n, { message: `task ${input.taskPath}: ${(err as Error).message}`, type: FailureTypes.stepFailed }, undefined, plan.spec.logFile);
          }
          // An attempt that ended during the build must not start the launch: the next attempt,
          // which shared the build, may be starting it right now, and a step runs once.
          if (ctx.cancellationSignal.aborted) return await handleCancellation(ctx, deps, recorder, undefined, n, plan);
        }
        try {
          handle = await deps.runner.start(plan.spec);
        } catch (err) {
          // A launch the runner can never start (a pod spec Kubernetes would refuse) fails its task now.
          if (!(err instanceof ApplicationFailure) || !err.nonRetryable) throw err;
          return await failLaunch(recorder, lastLaunch, n, { message: err.message, type: err.type ?? FailureTypes.invalidTask }, undefined, undefined);
        }
        deadline = deadlineSignal(startedAt, input.timeoutSeconds);
        try {
          status = await deps.runner.wait(handle, AbortSignal.any([ctx.cancellationSignal, deadline.signal, ...(detach ? [detach] : [])]), (now) => (progress = now));
        } finally {
          deadline.clear();
        }
      } finally {
        clearInterval(timer);
      }
      if (status.status === 'running' && ctx.cancellationSignal.aborted) return handleCancellation(ctx, deps, recorder, handle, n, plan);
      if (status.status === 'running' && !deadline.signal.aborted && detach?.aborted) return { detached: n };
      if (status.status === 'running') {
        await deps.runner.kill(handle, deps.killGraceMs);
        await deps.runner.seal?.(plan.spec);
        const message = `task ${input.taskPath} timed out: still running after its deadline of ${input.timeoutSeconds} s, so it was killed`;
        return failLaunch(recorder, lastLaunch, n, { message, type: FailureTypes.taskTimedOut }, undefined, plan.spec.logFile);
      }

      // Before its outputs are read: from now on no step can change them.
      await deps.runner.seal?.(plan.spec);
      if (status.status === 'exited' && status.exitCode === 0) {
        let outputs: TaskOutputs;
        try {
          outputs = await collectOutputs(input, plan);
        } catch (err) {
          return failLaunch(recorder, lastLaunch, n, { message: `outputs of ${input.taskPath}: ${(err as Error).message}`, type: FailureTypes.invalidTask }, 0, plan.spec.logFile);
        }
        await recorder.succeeded(n, outputs);
        void deps.runner.release?.(handle, true).catch(() => undefined);
        return { outputs, attempts: n, podName: name };
      }
      // Recorded below with its log tail; what the runner kept of it goes as its retention says.
      const release = () => void deps.runner.release?.(handle, false).catch(() => undefined);
      if (status.status === 'failed') {
        const type = status.timedOut ? FailureTypes.taskTimedOut : status.retryable ? FailureTypes.stepFailed : FailureTypes.launchFailed;
        const message = `task ${input.taskPath} failed: ${status.reason}: ${status.message}`;
        return failLaunch(recorder, lastLaunch, n, { message, type }, status.exitCode, plan.spec.logFile).finally(release);
      }
      const message = status.status === 'exited'
        ? `task ${input.taskPath} failed: exit code ${status.exitCode}`
        : `task ${input.taskPath} failed: ${status.reason}`;
      return failLaunch(recorder, lastLaunch, n, { message, type: FailureTypes.stepFailed }, status.status === 'exited' ? status.exitCode : undefined, plan.spec.logFile).finally(release);
    } finally {
      // A launch handed on running, or an attempt that failed: its start is written now.
      await recorder.flushStart();
    }
  };
}

/** The last attempt's heartbeat, when it was about this task (a series' retry beat last for one of its tasks). */
function ownDetails(details: HeartbeatDetails | undefined, taskPath: string): HeartbeatDetails | undefined {
  return details && (details.task === undefined || details.task === taskPath) ? details : undefined;
}

/** `attempts`: the task's recorded launches. */
async function chooseLaunch(
  attempts: readonly TaskAttemptRecord[],
  recorder: TaskRecorder,
  input: TaskActivityInput,
  launchBase: number,
  details: HeartbeatDetails | undefined,
): Promise<LaunchChoice> {
  for (let n = details?.launch ?? launchBase + 1; ; n++) {
    const attempt = attempts.find((a) => a.attempt === n);
    if (!attempt || !isFinal(attempt.state)) return { kind: 'launch', number: n, resume: attempt !== undefined, startedAt: attempt?.startedAt };
    if (attempt.state === 'SUCCEEDED') return { kind: 'done', result: await recorder.recordedResult(n, attempt.podName) };
    if (n >= launchBase + input.maxStepAttempts) {
      // An earlier attempt recorded the final failure but crashed before reporting it.
      throw ApplicationFailure.create({ message: attempt.error?.message ?? `task ${input.taskPath} failed`, type: FailureTypes.stepFailed, nonRetryable: true });
    }
  }
}

/** A task whose recorded outcome a retried run keeps: it succeeded, or was served from cache. */
function isReusable(task: TaskRecord): boolean {
  return task.state === 'SUCCEEDED' || (task.state === 'SKIPPED' && task.cache?.status === 'HIT');
}

/** Failure types no later launch can fix: the task fails at once, whatever its retry policy. */
const FINAL_FAILURES: ReadonlySet<string> = new Set([FailureTypes.invalidTask, FailureTypes.taskTimedOut, FailureTypes.launchFailed]);

/** `lastLaunch`: the task's last launch its retry policy allows (counted from its launch base). */
async function failLaunch(
  recorder: TaskRecorder,
  lastLaunch: number,
  n: number,
  error: RunError,
  exitCode: number | undefined,
  logFile: string | undefined,
): Promise<never> {
  const tail = logFile ? await logTail(logFile) : '';
  const last = n >= lastLaunch || FINAL_FAILURES.has(error.type ?? '');
  const full: RunError = {
    message: `${error.message}${last ? '' : ` (launch ${n} of ${lastLaunch}, will retry)`}${tail ? `\n--- last lines of the log ---\n${tail}` : ''}`,
    type: last ? error.type : FailureTypes.stepFailedRetryable,
    details: { exitCode, launch: n, logUri: logFile },
  };
  await recorder.failed(n, full, exitCode, last);
  throw ApplicationFailure.create({ message: full.message, type: full.type, nonRetryable: last, details: [full.details] });
}

/**
 * The wait (or, without `handle`, the Python environment's build before the launch started)
 * was aborted because Temporal cancelled this attempt. Only a cancellation the
 * workflow requested (the run was terminated) may stop the step: the SDK marks it
 * `cancelRequested` (reason `CANCELLED`). Every other reason ends this attempt only, and the
 * step must go on, because the retry reattaches to it and collects it:
 * - `TIMED_OUT`: the heartbeat timeout elapsed, e.g. the worker's event loop was too busy to
 *   heartbeat; the step may well have succeeded meanwhile;
 * - `NOT_FOUND`: the server no longer knows this attempt (it timed out server-side);
 * - `WORKER_SHUTDOWN`, `PAUSED`, `RESET`: the activity moves on without this worker.
 */
async function handleCancellation(
  ctx: Context,
  deps: RunTaskDeps,
  recorder: TaskRecorder,
  handle: LaunchHandle | undefined,
  n: number,
  plan: LaunchPlan,
): Promise<never> {
  const reason = await ctx.cancelled.catch((err: unknown) => err);
  if (ctx.cancellationDetails?.cancelRequested) {
    // Only the workflow knows whether it asked: it stops the step with `stopTask` if it did.
    if (ctx.info.isLocal) throw reason instanceof CancelledFailure ? reason : new CancelledFailure('task canceled');
    await cancelLaunch(deps, recorder, handle, n, plan);
    throw reason instanceof CancelledFailure ? reason : new CancelledFailure('task canceled');
  }
  // Paused and reset attempts are reported by the SDK from the CancelledFailure itself.
  if (ctx.cancellationDetails?.paused || ctx.cancellationDetails?.reset) throw reason;
  const why = reason instanceof CancelledFailure ? reason.message : String(reason);
  const next = handle ? `while launch ${n} ran; the step goes on and the next attempt reattaches to it` : `before launch ${n} started; the next attempt starts it`;
  throw ApplicationFailure.retryable(`attempt ended (${why}) ${next}`, 'LaunchDetached');
}

/**
 * How often the activity heartbeats: a fifth of the timeout (at most 5 s), so four beats can
 * be late before one is missed. The SDK forwards them to the server at most every 0.8 × timeout
 * unless the worker's `maxHeartbeatThrottleInterval` is lower; that throttle, not this
 * interval, sets the server's margin.
 */
function heartbeatEveryMs(timeoutMs: number | undefined): number {
  return Math.max(200, Math.min(5_000, (timeoutMs ?? 30_000) / 5));
}

/**
 * Aborts at `startedAt + timeoutSeconds`: a resumed launch keeps the deadline of its start, so
 * a worker restart does not extend it. Never aborts without a timeout.
 */
function deadlineSignal(startedAt: Date, timeoutSeconds: number | undefined): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  if (timeoutSeconds === undefined) return { signal: controller.signal, clear: () => undefined };
  const timer = setTimeout(() => controller.abort(), Math.max(0, startedAt.getTime() + timeoutSeconds * 1000 - Date.now()));
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** The last lines of a launch log, for the error a user sees first; reads only the log's end. */
async function logTail(logFile: string, maxLines = 20, maxBytes = 4096): Promise<string> {
  const file = await open(logFile, 'r').catch(() => undefined);
  if (!file) return '';
  try {
    const { size } = await file.stat();
    const length = Math.min(size, maxBytes);
    const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, size - length);
    return buffer.subarray(0, bytesRead).toString('utf8').trimEnd().split('\n').slice(-maxLines).join('\n');
  } finally {
    await file.close();
  }
}
