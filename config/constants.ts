/** Names shared by the worker, the client side (API, CLI) and workflow code. Pure: safe in workflows. */

export const DEFAULT_TASK_QUEUE = 'sluice-pipelines';
export const DEFAULT_NAMESPACE = 'default';
export const PIPELINE_RUN_WORKFLOW = 'pipelineRun';

/** Temporal search attributes registered on the dev server so the Temporal UI can filter runs. */
export const SEARCH_ATTRIBUTES = {
  pipelineName: 'SluicePipelineName',
  runId: 'SluiceRunId',
  experimentId: 'SluiceExperimentId',
} as const;

/** Workflow query that returns the live state of every task. */
export const TASKS_QUERY = 'tasks';

export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** Default ports: KFP's API port, and Temporal's own defaults. */
export const DEFAULT_PORTS = { api: 8888, temporal: 7233, temporalUi: 8233, postgres: 5488 } as const;

/**
 * Failure types the API shows, carried by `ApplicationFailure.type`. Shared here because the
 * activities throw them, the workflow decides retries by them, and the worker's log filters them.
 */
export const FailureTypes = {
  /** The step exited non-zero (or was lost) on its last allowed launch. */
  stepFailed: 'StepFailed',
  /** The step exited non-zero and KFP's retry policy allows another launch. */
  stepFailedRetryable: 'StepFailedRetryable',
  /** Inputs, placeholders or outputs violate the spec: no retry can fix it. */
  invalidTask: 'InvalidTask',
  /** The step ran past its deadline (`timeoutSeconds`, from kfp-kubernetes' `activeDeadlineSeconds`) and was killed. */
  taskTimedOut: 'TaskTimedOut',
  /**
   * The launch could not run and another launch would fare no better: its image cannot be
   * pulled, a secret it needs is missing, it cannot be scheduled.
   */
  launchFailed: 'LaunchFailed',
  /** The run ended FAILED because a task did. */
  runFailed: 'RunFailed',
} as const;

/** A pipeline's own outcome (the step failed, the spec was wrong), not trouble in the worker or the store. */
export const PIPELINE_FAILURES: ReadonlySet<string> = new Set<string>(Object.values(FailureTypes));
