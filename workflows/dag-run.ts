/**
 * The DAG interpreter: runs one DAG instance (the root, a condition branch, a nested pipeline,
 * an exit-handler group or a loop iteration) with its own evaluator, recursing into sub-DAGs.
 * Decide, then do: the evaluator and the pure `ir/` functions decide; this file starts
 * activities, records transitions and feeds each outcome back.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DetachedTask, ImporterSpec, PlatformScopeValues, TaskActivityInput, TaskActivityResult, TaskIdentity, TaskTransition } from '../activities/types';
import { FailureTypes } from '../config/constants';
import { taskCachePlan } from '../ir/cache-key';
import { CelError, evaluateCondition, selectParameter } from '../ir/cel';
import { DagEvaluator, dagShape, type DagShape, type Decision, type TaskEnd } from '../ir/dag-evaluator';
import { collectIterations, dagOutputs, iterationInputs, loopItems, type LoopItems } from '../ir/dag-outputs';
import { FANOUT, placeLoop, runsInBatches, tasksPerInstance } from '../ir/fanout';
import { resolveTaskInputs } from '../ir/inputs';
import { ownValue } from '../ir/records';
import { toRetrySettings } from '../ir/retry';
import { runPlaceholderValues, pipelineJobResourceName } from '../ir/run-values';
import { isFinal, type TaskKind } from '../ir/states';
import { inputsReadBy, subSpec } from '../ir/sub-spec';
import { childPath, iterationPath, ROOT_PATH } from '../ir/task-path';
import { executorTimeoutSeconds, platformParameterRefs, platformSpecForExecutors } from '../ir/platform';
import type { ComponentSpec, ContainerSpec, ExecutorSpec, ParameterValue, PipelineSpec, PipelineTaskSpec, TaskOutputs } from '../ir/types';
import type { RunError } from '../store/types';
import { failureOf } from './failures';
import { LOCAL_ACTIVITIES_UNCANCELLED, type LocalLane } from './local-lane';
import { Slots } from './slots';
import { TaskBatcher } from './task-batcher';
import { TaskSeries } from './task-series';
import type { StateWriter } from './state-writer';
import type { RunInput, TaskSnapshot } from './types';
import { INLINE_WINDOW_MS, inlineTaskOptions, relaunchAfter, taskActivityOptions } from './task-activity-options';


/** Patch: a container or importer task's RUNNING is written by its activity alone. */
const LAUNCH_RECORDS_RUNNING = 'launch-records-running';
/** Patch: the container tasks of a DAG of over `FANOUT.inlineDagTasks` tasks run in child workflows. */
const WIDE_DAG_BATCHES = 'wide-dag-batches';
/** Patch: a large loop's child workflows get only the loop body's part of the spec and inputs. */
const CHILD_SPEC_PRUNED = 'child-spec-pruned';
/** Patch: a container task carries its cache plan (`ir/cache-key.ts`), so its activity may serve it from cache. */
const TASK_CACHE = 'task-cache';
/** Patch: a container task runs as a local activity first, and as `runTask` only once it outlives `INLINE_WINDOW_MS`. */
const STEPS_INLINE_FIRST = 'steps-inline-first';
/** Patch: container tasks that cannot run inline run in series (`task-series.ts`), when the run has a `seriesWidth`. */
const TASK_SERIES = 'task-series';
/** Patch: a loop's or a wide DAG's child workflows run their tasks in series too, a loop's iterations then bounded only by its `parallelismLimit`. */
const CHILDREN_IN_SERIES = 'children-in-series';
/**
 * Patch: a loop whose iterations all start and whose tasks run in series (no `parallelismLimit`,
 * series on) runs `FANOUT.tasksPerChildInSeries` tasks per child instead of `tasksPerChild`.
 */
const LOOP_CHILDREN_IN_SERIES_LARGER = 'loop-children-in-series-larger';

/** How a task or DAG ended, as its parent needs it. */
export interface Ending {
  end: TaskEnd;
  outputs?: TaskOutputs;
  error?: RunError;
}

/** Everything a run's DAG instances share. */
export class RunContext {
  readonly slots: Slots;
  /** The live view the `tasks` query returns, by task path. */
  readonly snapshots = new Map<string, TaskSnapshot>();
  private readonly shapes = new Map<string, DagShape>();
  /** Tasks and child workflows this workflow awaits now (see `runContainer`). */
  private inFlight = 0;
  /** Decided at the first container task (`series`): null until then. */
  private taskSeries: TaskSeries | undefined | null = null;

  constructor(
    readonly input: RunInput,
    readonly writer: StateWriter,
  ) {
    this.slots = new Slots(input.parallelism);
  }

  get spec(): PipelineSpec {
    return this.input.spec;
  }

  /**
   * Counts `work` as in flight from this very tick (a task started in the same round sees it)
   * until it settles. Returns `work`'s own promise: no extra microtask before its callers resume,
   * so runs recorded before this count existed replay in the same order.
   */
  track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => void this.inFlight--;
    const promise = work();
    promise.then(done, done);
    return promise;
  }

  /**
   * Where this workflow's container tasks that do not run inline go, when the run has a
   * `seriesWidth` (asked at its first container task, so runs without one never meet the patch).
   */
  get series(): TaskSeries | undefined {
    if (this.taskSeries === null) {
      const width = this.input.seriesWidth ?? 0;
      this.taskSeries = width > 0 && patched(TASK_SERIES) ? new TaskSeries(this.slots, width, this.input.heartbeatTimeoutSeconds) : undefined;
    }
    return this.taskSeries;
  }

  /**
   * The run input of a loop's or a wide DAG's child workflows, `running` of them at once. Since
   * patch `children-in-series`, they run their tasks in series too, sharing this workflow's
   * lanes: more lanes than the run's only make each step wait longer in its series. Before it,
   * each of their tasks was its own activity.
   */
  childRunInput(running: number): RunInput {
    if (!this.series) return this.input;
    if (!patched(CHILDREN_IN_SERIES)) return { ...this.input, seriesWidth: 0 };
    return { ...this.input, seriesWidth: Math.max(1, Math.floor((this.input.seriesWidth ?? 0) / running)) };
  }

  /** Nothing but one task is in flight: it may run inline without holding anything else up. */
  get alone(): boolean {
    return this.inFlight === 1;
  }

  shapeOf(componentName: string, component: ComponentSpec): DagShape {
    let shape = this.shapes.get(componentName);
    if (!shape) {
      shape = dagShape(component.dag ?? { tasks: {} });
      this.shapes.set(componentName, shape);
    }
    return shape;
  }

  /**
   * The one way the workflow changes a task's state: stamps times, updates the live view, and
   * queues the write unless `persist` is false (a state its launch records itself).
   */
  transition(t: Omit<TaskTransition, 'at'>, persist = true, attempts?: number): void {
    const at = new Date().toISOString();
    const prev = this.snapshots.get(t.taskPath);
    const final = isFinal(t.state);
    this.snapshots.set(t.taskPath, {
      name: t.taskPath,
      componentName: t.componentName,
      state: t.state,
      attempts: attempts ?? prev?.attempts ?? 0,
      startedAt: prev?.startedAt ?? (t.state === 'RUNNING' ? at : undefined),
      finishedAt: final ? at : undefined,
      error: t.error,
      outputs: t.outputs,
    });
    if (persist) this.writer.push({ ...t, at });
  }
}

/** A DAG instance: where it is, what it runs, and its resolved inputs. */
export interface DagInstance {
  path: string;
  componentName: string;
  component: ComponentSpec;
  inputs: TaskOutputs;
}

/**
 * Runs a DAG instance to its end: every task proceeds as soon as the evaluator allows, sub-DAGs
 * recurse, and the DAG ends FAILED if a task failed (after independent tasks finish), CANCELED
 * when the run is canceled, else SUCCEEDED with its `dag.outputs`.
 */
export async function runDag(ctx: RunContext, dag: DagInstance): Promise<Ending> {
  const shape = ctx.shapeOf(dag.componentName, dag.component);
  const evaluator = new DagEvaluator(shape);
  const tasks = dag.component.dag?.tasks ?? {};
  const batcher = runsInBatches(Object.keys(tasks).length) && patched(WIDE_DAG_BATCHES)
    ? new TaskBatcher(ctx, dag.path)
    : undefined;
  const outputs: Record<string, TaskOutputs> = {};
  const endings = new Map<string, Ending>();
  let firstError: RunError | undefined;
  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (settle = resolve));

  const record = (name: string, ending: Ending) => {
    endings.set(name, ending);
    if (ending.outputs) outputs[name] = ending.outputs;
    if (ending.end === 'FAILED' && !firstError) firstError = ending.error;
    apply(evaluator.finished(name, ending.end));
  };
  const apply = (decisions: Decision[]) => {
    for (const decision of decisions) {
      const task = tasks[decision.task];
      if (decision.kind === 'skip') {
        const state = decision.reason === 'RUN_CANCELED' ? 'CANCELED' : 'SKIPPED';
        ctx.transition({ ...describe(ctx, dag, decision.task, task), state, reason: decision.reason, error: { message: decision.message, type: decision.reason } });
        endings.set(decision.task, { end: state });
        continue;
      }
      void proceed(ctx, dag, decision.task, task, { outputs, endings }, batcher).then((ending) => record(decision.task, ending));
    }
    if (evaluator.done) settle();
  };

  CancellationScope.current().cancelRequested.catch(() => {
    for (const name of evaluator.cancel()) {
      ctx.transition({ ...describe(ctx, dag, name, tasks[name]), state: 'CANCELED', reason: 'RUN_CANCELED', error: { message: 'the run was canceled', type: 'RUN_CANCELED' } });
    }
    if (evaluator.done) settle();
  });
  apply(evaluator.start());
  await done;

  const end = evaluator.outcome();
  if (end !== 'SUCCEEDED') return { end, error: firstError };
  return { end, outputs: dagOutputs(dag.component, outputs) };
}

interface Siblings {
  outputs: Record<string, TaskOutputs>;
  endings: Map<string, Ending>;
}

/**
 * Resolves a task's inputs, asks its condition, then runs it as what it is (a container task
 * through `batcher` when its DAG is wide). Never throws but for cancellation.
 */
async function proceed(ctx: RunContext, dag: DagInstance, name: string, task: PipelineTaskSpec, siblings: Siblings, batcher?: TaskBatcher): Promise<Ending> {
  const who = describe(ctx, dag, name, task);
  const component = ownValue(ctx.spec.components, task.componentRef.name) as ComponentSpec;
  let inputs: TaskOutputs;
  try {
    inputs = resolveTaskInputs(
      ctx.spec,
      name,
      task,
      {
        parameters: dag.inputs.parameters,
        artifacts: dag.inputs.artifacts,
        outputs: siblings.outputs,
        finalStatus: (producer) => finalStatus(ctx, dag, producer, siblings.endings.get(producer)),
        select: selectParameter,
      },
      runPlaceholderValues(ctx.input, who.taskPath),
      specPathOf(dag, name),
    );
    const condition = task.triggerPolicy?.condition;
    if (condition && !evaluateCondition(condition, inputs.parameters)) {
      const message = `condition ${condition} was false`;
      ctx.transition({ ...who, state: 'SKIPPED', reason: 'NOT_TRIGGERED', error: { message, type: 'NOT_TRIGGERED' }, inputParameters: inputs.parameters });
      return { end: 'NOT_TRIGGERED' };
    }
  } catch (err) {
    const message = err instanceof CelError ? `condition of ${who.taskPath}: ${err.message}` : (err as Error).message;
    const error = { message, type: FailureTypes.invalidTask };
    ctx.transition({ ...who, state: 'FAILED', error });
    return { end: 'FAILED', error };
  }

  if (component.dag) {
    return task.parameterIterator || task.artifactIterator
      ? runLoop(ctx, dag, who, task, component, inputs)
      : runSubDag(ctx, who, { path: who.taskPath, componentName: task.componentRef.name, component, inputs: inherit(component, dag.inputs, inputs) });
  }
  const platformScope = platformScopeOf(ctx, dag, component, siblings);
  return batcher ? batcher.run({ who, task, inputs, platformScope }) : runExecutor(ctx, who, task, component, inputs, platformScope);
}

/** The DAG inputs and sibling outputs the executor's kfp-kubernetes settings name, when they name any. */
function platformScopeOf(ctx: RunContext, dag: DagInstance, component: ComponentSpec, siblings: Siblings): PlatformScopeValues | undefined {
  const refs = platformParameterRefs(ctx.input.platformSpec, component.executorLabel ?? '');
  if (refs.inputs.length === 0 && refs.outputs.length === 0) return undefined;
  const taskOutputs: PlatformScopeValues['taskOutputs'] = {};
  for (const { task, key } of refs.outputs) {
    const value = siblings.outputs[task]?.parameters[key];
    if (value !== undefined) taskOutputs[task] = { ...taskOutputs[task], [key]: value };
  }
  const parameters = Object.fromEntries(refs.inputs.filter((name) => Object.hasOwn(dag.inputs.parameters, name)).map((name) => [name, dag.inputs.parameters[name]]));
  return { parameters, taskOutputs };
}

/** A nested pipeline, condition branch or exit-handler group: a DAG task and its instance. */
async function runSubDag(ctx: RunContext, who: TaskIdentity, instance: DagInstance): Promise<Ending> {
  ctx.transition({ ...who, state: 'RUNNING', inputParameters: instance.inputs.parameters });
  const ending = await runDag(ctx, instance);
  ctx.transition({ ...who, state: stateOf(ending.end), outputs: ending.outputs, error: ending.error });
  return ending;
}

/**
 * A ParallelFor: each item runs the loop body as its own DAG instance `loop[i]`, at most
 * `parallelismLimit` at once (0: no limit beyond the run's). Small loops run inline; large ones
 * as child workflows over blocks of iterations (`ir/fanout.ts` says which and how many). The
 * loop fails if any iteration failed (after every iteration ends); its outputs are the
 * iterations' outputs collected in item order (`dsl.Collected`).
 */
async function runLoop(ctx: RunContext, dag: DagInstance, who: TaskIdentity, task: PipelineTaskSpec, component: ComponentSpec, inputs: TaskOutputs): Promise<Ending> {
  let items: LoopItems | undefined;
  try {
    items = loopItems(task, inputs, specPathOf(dag, who.displayName));
  } catch (err) {
    const error = { message: (err as Error).message, type: FailureTypes.invalidTask };
    ctx.transition({ ...who, state: 'FAILED', error });
    return { end: 'FAILED', error };
  }
  if (!items) throw ApplicationFailure.nonRetryable(`${who.taskPath} is not a loop`);
  ctx.transition({ ...who, state: 'RUNNING', inputParameters: inputs.parameters });
  const loop: LoopRef = { taskPath: who.taskPath, name: who.displayName, componentName: task.componentRef.name };
  const body = inherit(component, dag.inputs, inputs);
  const limit = Math.min(task.iteratorPolicy?.parallelismLimit || Number.POSITIVE_INFINITY, ctx.input.parallelism);
  const unlimited = !task.iteratorPolicy?.parallelismLimit;
  const perIteration = tasksPerInstance(ctx.spec, component);
  // Asked only where the answer matters, so that runs of small loops carry no marker of it; and
  // before `ctx.series`, whose own patch a history from before this one holds later.
  const larger = unlimited && items.items.length * perIteration > FANOUT.inlineTasks && patched(LOOP_CHILDREN_IN_SERIES_LARGER) && ctx.series !== undefined;
  const placement = placeLoop(items.items.length, perIteration, limit, larger ? FANOUT.tasksPerChildInSeries : FANOUT.tasksPerChild);
  // Without a parallelismLimit, iterations are not what is bounded but their tasks: with series
  // on, every iteration of an inline loop starts and its tasks wait for a series (which holds a
  // slot), so a series can take several of them.
  const unbounded = placement.mode === 'inline' && ctx.series !== undefined && unlimited;
  let results: Ending[];
  if (placement.mode === 'inline') {
    results = await runIterations(ctx, loop, component, items, body, 0, new Slots(unbounded ? Number.POSITIVE_INFINITY : limit));
  } else {
    // Every child stores its input in its own history: it gets only what the body reads.
    const pruned = patched(CHILD_SPEC_PRUNED);
    const whole = ctx.childRunInput(placement.running);
    const run: RunInput = pruned ? { ...whole, ...subSpec(ctx.spec, ctx.input.platformSpec, loop.componentName), parameters: {} } : whole;
    const blockInputs = pruned ? inputsReadBy(ctx.spec, loop.componentName, body) : body;
    const children = new Slots(placement.running);
    const blocks = await ctx.track(() => Promise.all(
      placement.blocks.map(({ start, end }) =>
        children.with(() =>
          executeChild('dagBatchRun', {
            workflowId: `${ctx.input.runId}/${who.taskPath}/${start}-${end - 1}`,
            args: [{ run, loop, inputs: blockInputs, items: sliceItems(items, start, end), start, slots: placement.slotsPerChild, ...(whole.seriesWidth && unlimited ? { unboundedIterations: true } : {}) } satisfies DagBatchInput],
          }) as Promise<Ending[]>,
        ).catch((err: unknown): Ending[] => {
          if (isCancellation(err)) return [{ end: 'CANCELED' }];
          return [{ end: 'FAILED', error: failureOf(err) }];
        }),
      ),
    ));
    results = blocks.flat();
  }
  const failed = results.find((r) => r.end === 'FAILED');
  const end: TaskEnd = failed ? 'FAILED' : results.some((r) => r.end === 'CANCELED') ? 'CANCELED' : 'SUCCEEDED';
  const outputs = end === 'SUCCEEDED' ? collectIterations(results.map((r) => r.outputs ?? { parameters: {}, artifacts: {} })) : undefined;
  ctx.transition({ ...who, state: stateOf(end), outputs, error: failed?.error });
  return { end, outputs, error: failed?.error };
}

/** Names the loop task whose iterations a block runs. */
export interface LoopRef {
  taskPath: string;
  name: string;
  componentName: string;
}

/** The input of a `dagBatchRun` child: a block of a loop's iterations, starting at index `start`. */
export interface DagBatchInput {
  /**
   * The run as the block needs it. Since patch `child-spec-pruned`, the spec and platform
   * document hold only the loop body's part (`ir/sub-spec.ts`) and `parameters` is empty: the
   * body reads the run's parameters only through `inputs`. Before, the whole run input.
   */
  run: RunInput;
  loop: LoopRef;
  /** The loop body's inputs; since `child-spec-pruned` only those its tasks read. */
  inputs: TaskOutputs;
  items: LoopItems;
  start: number;
  /** Iterations this child runs at once, or, with `unboundedIterations` and series on, tasks. */
  slots: number;
  /** The loop has no `parallelismLimit`: with series on, every iteration starts and only its tasks wait for a slot (as in an inline loop). */
  unboundedIterations?: boolean;
}

/** Runs iterations `start … start + items - 1` of a loop, each as a DAG instance, within `slots`. */
export async function runIterations(ctx: RunContext, loop: LoopRef, component: ComponentSpec, items: LoopItems, inputs: TaskOutputs, start: number, slots: Slots): Promise<Ending[]> {
  return Promise.all(
    items.items.map((_item, offset) => {
      const index = start + offset;
      return slots
        .with(async () => {
          const path = iterationPath(loop.taskPath, index);
          const instance: DagInstance = { path, componentName: loop.componentName, component, inputs: iterationInputs(items, inputs, offset) };
          const iteration = { taskPath: path, displayName: `${loop.name}[${index}]`, parentTaskPath: loop.taskPath, kind: 'ITERATION' as const, iterationIndex: index, componentName: loop.componentName };
          return runSubDag(ctx, iteration, instance);
        })
        .catch((err: unknown): Ending => {
          if (isCancellation(err)) return { end: 'CANCELED' };
          throw err;
        });
    }),
  );
}

function sliceItems(items: LoopItems, start: number, end: number): LoopItems {
  return { ...items, items: items.items.slice(start, end) } as LoopItems;
}

/** A container task (one `runTask` activity) or an importer (one `importArtifact` activity), within the run's parallelism and its per-task timeout. */
export async function runExecutor(ctx: RunContext, who: TaskIdentity, task: PipelineTaskSpec, component: ComponentSpec, inputs: TaskOutputs, platformScope?: PlatformScopeValues): Promise<Ending> {
  const executor = ctx.spec.deploymentSpec.executors[component.executorLabel ?? ''];
  const retry = toRetrySettings(task.retryPolicy);
  const options = taskActivityOptions(who.taskPath, ctx.input.heartbeatTimeoutSeconds, retry);
  const { importArtifact } = proxyActivities<Activities>(options);
  const series = executor?.importer ? undefined : ctx.series;
  // A series takes a slot for the tasks it runs: a task waiting for one holds none.
  const within = <T>(work: () => Promise<T>): Promise<T> => (series ? work() : ctx.slots.with(work));
  try {
    return await ctx.track(() => within(async () => {
      // The launch records its own start (task row, kind, parent) in the transaction that opens
      // its attempt, so writing RUNNING here too cost an activity and a workflow task per step.
      ctx.transition({ ...who, state: 'RUNNING' }, !patched(LAUNCH_RECORDS_RUNNING));
      const result = executor?.importer
        ? await importArtifact({
            runId: ctx.input.runId,
            taskPath: who.taskPath,
            displayName: who.displayName,
            componentName: who.componentName,
            importer: executor.importer as ImporterSpec,
            inputParameters: inputs.parameters,
            outputDefinitions: component.outputDefinitions,
          })
        : await runContainer(ctx, options, {
            // KFP's driver computes the fingerprint; here the workflow does, from the resolved inputs.
            cache: patched(TASK_CACHE) ? taskCachePlan(task, component, containerOf(executor, component), inputs) : undefined,
            runId: ctx.input.runId,
            runName: ctx.input.runName,
            pipelineName: ctx.input.pipelineName,
            pipelineRoot: ctx.input.pipelineRoot,
            createdAt: ctx.input.createdAt,
            workspacePath: ctx.input.workspacePath,
            taskPath: who.taskPath,
            displayName: who.displayName,
            componentName: who.componentName,
            container: containerOf(executor, component),
            inputDefinitions: component.inputDefinitions,
            outputDefinitions: component.outputDefinitions,
            inputs,
            maxStepAttempts: retry.maxStepAttempts,
            timeoutSeconds: executorTimeoutSeconds(ctx.input.platformSpec, component.executorLabel ?? ''),
            executorLabel: component.executorLabel,
            platformSpec: platformSpecForExecutors(ctx.input.platformSpec, new Set([component.executorLabel ?? ''])),
            platformScope,
            runAttempt: ctx.input.retry?.attempt,
          }, series);
      // The launch (or the cache hit, SKIPPED as KFP shows it) is in the store; only the live
      // view needs it. Either way downstream tasks get the outputs.
      ctx.transition({ ...who, state: result.cachedFrom ? 'SKIPPED' : 'SUCCEEDED', reason: result.cachedFrom && 'CACHED', outputs: result.outputs }, false, result.attempts);
      return { end: 'SUCCEEDED' as const, outputs: result.outputs };
    }));
  } catch (err) {
    if (isCancellation(err)) {
      ctx.transition({ ...who, state: 'CANCELED', reason: 'RUN_CANCELED' });
      return { end: 'CANCELED' };
    }
    const error = failureOf(err);
    ctx.transition({ ...who, state: 'FAILED', error });
    return { end: 'FAILED', error };
  }
}

/**
 * A container task's activity. Most steps end within `INLINE_WINDOW_MS`: run inline (a local
 * activity in this workflow task), they cost no round trip through Temporal's queues. One that
 * runs longer goes on as `runTask`, which reattaches to it and heartbeats while it runs.
 */
async function runContainer(ctx: RunContext, options: ActivityOptions, input: TaskActivityInput, series: TaskSeries | undefined): Promise<TaskActivityResult> {
  // Inline only when nothing else is in flight: the workflow task stays open while a step runs
  // inline, so the server would hold back any other activity or child this workflow starts, and
  // every result that reaches it, until the step ends or detaches. And only while no other local
  // activity of this workflow is in flight (see `LocalLane`). Decided a microtask after the round
  // that started the task (the slot's wait), when every task of that round is counted.
  const lane = ctx.writer.lane;
  const runTask = (rest: ActivityOptions) => proxyActivities<Activities>(rest).runTask(input);
  if (series) {
    const ran = await ctx.slots.with(async () => {
      if (!ctx.alone || !lane.tryAcquire()) return undefined;
      const inline = await runInline(options, input, lane);
      return 'result' in inline ? inline.result : runTask(inline.rest);
    });
    return ran ?? series.run(input, options);
  }
  if (patched(STEPS_INLINE_FIRST) && ctx.alone && lane.tryAcquire()) {
    const inline = await runInline(options, input, lane);
    return 'result' in inline ? inline.result : runTask(inline.rest);
  }
  return runTask(options);
}

/** How an inline run ended: with the task's result, or leaving the rest of the task to a `runTask` with these options. */
type InlineEnding = { result: TaskActivityResult } | { rest: ActivityOptions };

/** The task's inline run (`runTaskInline`), holding `lane` (taken) until it ends. */
async function runInline(options: ActivityOptions, input: TaskActivityInput, lane: LocalLane): Promise<InlineEnding> {
  try {
    // Never cancelled (see LOCAL_ACTIVITIES_UNCANCELLED): it ends by itself within the window, and
    // a step still running then is stopped here when the run was canceled meanwhile. One launch:
    // a failed launch's next is a `runTask` after the retry policy's first backoff, which a
    // cancellation does stop.
    if (!patched(LOCAL_ACTIVITIES_UNCANCELLED)) return await runInlineCancellable(options, input);
    const canceled = () => new CancelledFailure(`task ${input.taskPath} was canceled with its run`);
    // A cancelled scope would refuse the local activity; a shielded one must not start it.
    if (CancellationScope.current().consideredCancelled) throw canceled();
    const local = proxyLocalActivities<Activities>(inlineTaskOptions(input.taskPath, options, true));
    let ran: TaskActivityResult | DetachedTask;
    try {
      ran = await CancellationScope.nonCancellable(() => local.runTaskInline(input, INLINE_WINDOW_MS));
    } catch (err) {
      const failure = err instanceof ActivityFailure ? err.cause : undefined;
      if (failure instanceof ApplicationFailure && failure.nonRetryable) throw err;
      if (!(failure instanceof ApplicationFailure && failure.type === FailureTypes.stepFailedRetryable)) return { rest: options };
      const next = relaunchAfter(options);
      await sleep(next.backoffMs);
      return { rest: next.options };
    }
    if (!('detached' in ran)) return { result: ran };
    if (CancellationScope.current().consideredCancelled) {
      await CancellationScope.nonCancellable(() => local.stopTask(input));
      throw canceled();
    }
    return { rest: options };
  } finally {
    lane.release();
  }
}

/** An inline run before patch `local-activities-uncancelled`: cancelled with the run, its retries inside the local activity. */
async function runInlineCancellable(options: ActivityOptions, input: TaskActivityInput): Promise<InlineEnding> {
  const local = proxyLocalActivities<Activities>(inlineTaskOptions(input.taskPath, options, false));
  try {
    const ran = await local.runTaskInline(input, INLINE_WINDOW_MS);
    return 'detached' in ran ? { rest: options } : { result: ran };
  } catch (err) {
    // A cancelled inline run leaves its step running (the worker cancels it alike when it evicts the workflow).
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => local.stopTask(input));
    throw err;
  }
}

/** @throws a non-retryable InvalidTask failure when the executor has no container (a validated spec always has one). */
function containerOf(executor: ExecutorSpec | undefined, component: ComponentSpec): ContainerSpec {
  if (!executor?.container) throw ApplicationFailure.nonRetryable(`executor ${component.executorLabel} has no container`, FailureTypes.invalidTask);
  return executor.container;
}

/**
 * The state names KFP's backend puts in a PipelineTaskFinalStatus: its MLMD execution states, in
 * which a task that did not run (not triggered, skipped) is CANCELED.
 */
const MLMD_STATE: Record<TaskEnd, string> = { SUCCEEDED: 'COMPLETE', FAILED: 'FAILED', CANCELED: 'CANCELED', SKIPPED: 'CANCELED', NOT_TRIGGERED: 'CANCELED' };

/**
 * KFP's PipelineTaskFinalStatus for an exit handler: the state of the task it watches (the
 * exit-handler group, in KFP's MLMD state names), with the first error inside it.
 */
function finalStatus(ctx: RunContext, dag: DagInstance, producer: string, ending: Ending | undefined): ParameterValue | undefined {
  if (!ending) return undefined;
  return {
    state: MLMD_STATE[ending.end],
    error: ending.error ? { code: 2, message: ending.error.message } : {},
    pipelineJobResourceName: pipelineJobResourceName(ctx.input.pipelineName, ctx.input.runId),
    pipelineTaskName: producer,
  };
}

function describe(ctx: RunContext, dag: DagInstance, name: string, task: PipelineTaskSpec): TaskIdentity {
  const component = ownValue(ctx.spec.components, task.componentRef.name);
  const executor = component?.executorLabel ? ctx.spec.deploymentSpec.executors[component.executorLabel] : undefined;
  const kind: TaskKind = component?.dag ? (task.parameterIterator || task.artifactIterator ? 'LOOP' : 'DAG') : executor?.importer ? 'IMPORTER' : 'CONTAINER';
  return {
    taskPath: childPath(dag.path, name),
    displayName: name,
    parentTaskPath: dag.path === ROOT_PATH ? undefined : dag.path,
    kind,
    componentName: task.componentRef.name,
  };
}

/** Where the task sits in the spec document, for messages that name the field. */
function specPathOf(dag: DagInstance, name: string): string {
  return dag.path === ROOT_PATH ? `root.dag.tasks.${name}` : `components.${dag.componentName}.dag.tasks.${name}`;
}

/**
 * A sub-DAG's inputs: its own, plus those of the DAG that holds it that it does not declare
 * itself (a declared input it was not given stays unset). kfp's compiler lets an inner
 * loop body read an outer loop's item without passing it down, and KFP's driver resolves such a
 * name from the enclosing DAGs.
 */
function inherit(component: ComponentSpec, outer: TaskOutputs, own: TaskOutputs): TaskOutputs {
  const declared = component.inputDefinitions ?? {};
  const undeclared = <T>(values: Record<string, T>, names: Record<string, unknown> = {}) =>
    Object.fromEntries(Object.entries(values).filter(([name]) => !Object.hasOwn(names, name)));
  return {
    parameters: { ...undeclared(outer.parameters, declared.parameters), ...own.parameters },
    artifacts: { ...undeclared(outer.artifacts, declared.artifacts), ...own.artifacts },
  };
}

function stateOf(end: TaskEnd): 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'SKIPPED' {
  return end === 'NOT_TRIGGERED' ? 'SKIPPED' : end;
}
