import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  type QueryDefinition,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RunError } from '../store/types';
import { FailureTypes } from '../config/constants';
import { buildTaskGraph, type TaskNode } from '../ir/graph';
import { resolveTaskInputs } from '../ir/inputs';
import { planNext, runOutcome } from '../ir/plan';
import { toRetrySettings } from '../ir/retry';
import { runPlaceholderValues } from '../ir/run-values';
import { childPath, ROOT_PATH } from '../ir/task-path';
import { isFinal, type RunState, type TaskState } from '../ir/states';
import type { TaskOutputs } from '../ir/types';
import type { RunInput, RunSnapshot, TaskSnapshot } from './types';
import { taskActivityOptions } from './task-activity-options';
import { failureOf } from './failures';

/** Store writes must not be lost to a database outage: retried until they land. */
const { recordRunState } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});


/**
 * The interpreter of runs started before the DAG interpreter (root DAG only), kept so that such
 * runs, still in flight across the deploy, replay and finish on the code that started them.
 * `pipelineRun` routes to it when its history lacks the `dag-interpreter` patch.
 */
export async function legacyRootRun(input: RunInput, tasksQuery: QueryDefinition<RunSnapshot>): Promise<RunSnapshot> {
  const graph = buildTaskGraph(input.spec);
  const byName = new Map(graph.map((node) => [node.name, node]));
  const tasks = new Map<string, TaskSnapshot>();
  const outputs: Record<string, TaskOutputs> = {};
  let runState: RunState = 'RUNNING';

  const states = () => Object.fromEntries([...tasks].map(([name, t]) => [name, t.state])) as Record<string, TaskState>;
  const snapshot = (): RunSnapshot => ({
    runId: input.runId,
    state: runState,
    tasks: graph.map((node) => tasks.get(node.name) ?? { name: node.name, componentName: node.componentName, state: 'PENDING', attempts: 0 }),
  });
  setHandler(tasksQuery, snapshot);

  /** The one way a task changes state: stamps its times. */
  function transition(name: string, state: TaskState, patch: Partial<TaskSnapshot> = {}): void {
    const node = byName.get(name) as TaskNode;
    const now = new Date().toISOString();
    const prev = tasks.get(name);
    tasks.set(name, {
      name,
      componentName: node.componentName,
      attempts: prev?.attempts ?? 0,
      ...prev,
      ...patch,
      state,
      startedAt: prev?.startedAt ?? (state === 'RUNNING' ? now : undefined),
      finishedAt: isFinal(state) ? now : undefined,
    });
  }

  async function execute(node: TaskNode): Promise<void> {
    const task = input.spec.root.dag.tasks[node.name];
    const component = input.spec.components[node.componentName];
    const container = input.spec.deploymentSpec.executors[node.executorLabel]?.container;
    let inputs: TaskOutputs;
    try {
      if (!container) throw new Error(`executor ${node.executorLabel} has no container`);
      inputs = resolveTaskInputs(input.spec, node.name, task, { parameters: input.parameters, artifacts: {}, outputs }, runPlaceholderValues(input, childPath(ROOT_PATH, node.name)));
    } catch (err) {
      transition(node.name, 'FAILED', { error: { message: (err as Error).message, type: FailureTypes.invalidTask } });
      return;
    }
    const retry = toRetrySettings(task.retryPolicy);
    const { runTask } = proxyActivities<Activities>(taskActivityOptions(node.name, input.heartbeatTimeoutSeconds, retry));
    try {
      const result = await runTask({
        runId: input.runId,
        runName: input.runName,
        pipelineName: input.pipelineName,
        pipelineRoot: input.pipelineRoot,
        createdAt: input.createdAt,
        taskPath: childPath(ROOT_PATH, node.name),
        displayName: node.name,
        componentName: node.componentName,
        container,
        inputDefinitions: component.inputDefinitions,
        outputDefinitions: component.outputDefinitions,
        inputs,
        maxStepAttempts: retry.maxStepAttempts,
      });
      outputs[node.name] = result.outputs;
      transition(node.name, 'SUCCEEDED', { attempts: result.attempts, outputs: result.outputs });
    } catch (err) {
      if (isCancellation(err)) {
        transition(node.name, 'CANCELED');
      } else {
        transition(node.name, 'FAILED', { error: failureOf(err) });
      }
    }
  }

  await recordRunState({ runId: input.runId, state: 'RUNNING', at: new Date().toISOString() });

  const inFlight = new Map<string, Promise<void>>();
  const cancelRequested = () => CancellationScope.current().consideredCancelled;
  const cancelled = CancellationScope.current().cancelRequested.catch(() => undefined);
  for (;;) {
    if (cancelRequested()) {
      for (const node of graph) if (!tasks.has(node.name)) transition(node.name, 'CANCELED');
    }
    const { start, skip } = planNext(graph, states(), input.parallelism);
    for (const name of skip) transition(name, 'SKIPPED');
    for (const name of start) {
      transition(name, 'RUNNING');
      inFlight.set(name, execute(byName.get(name) as TaskNode).finally(() => inFlight.delete(name)));
    }
    if (inFlight.size === 0) {
      if (skip.length) continue;
      break;
    }
    // Wake on the first task to finish, or on cancellation (which stops new starts).
    await Promise.race(cancelRequested() ? inFlight.values() : [...inFlight.values(), cancelled]);
  }

  const outcome = cancelRequested() ? 'CANCELED' : runOutcome(graph, states());
  const finalState: RunState = outcome === 'RUNNING' ? 'FAILED' : outcome;
  const error = finalState === 'FAILED' ? runError(snapshot().tasks) : undefined;
  await CancellationScope.nonCancellable(() =>
    recordRunState({
      runId: input.runId,
      state: finalState,
      at: new Date().toISOString(),
      error,
      tasks: [...tasks.values()]
        .filter((t) => t.state !== 'SUCCEEDED')
        .map((t) => ({ taskPath: childPath(ROOT_PATH, t.name), displayName: t.name, kind: 'CONTAINER' as const, componentName: t.componentName, state: t.state, at: t.finishedAt ?? new Date().toISOString(), error: t.error })),
    }),
  );
  // Only now, so the live query never reports a final state the store does not have yet.
  runState = finalState;
  if (runState === 'CANCELED') throw new CancelledFailure(`run ${input.runId} was canceled`);
  if (runState === 'FAILED') throw ApplicationFailure.create({ message: error?.message ?? 'run failed', type: FailureTypes.runFailed, nonRetryable: true });
  return snapshot();
}


/** The run's error is its first failed task's, which carries the exit code and log tail. */
function runError(tasks: TaskSnapshot[]): RunError {
  const failed = tasks.find((t) => t.state === 'FAILED');
  if (!failed?.error) return { message: 'run failed', type: FailureTypes.runFailed };
  return { message: failed.error.message, type: failed.error.type, details: { task: failed.name } };
}
