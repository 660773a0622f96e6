import type { ContainerSpec, InputDefinitions, OutputDefinitions } from '../ir/types';
import type { RunState } from '../ir/states';
import type { RunError } from '../store/types';
import type { TaskOutputs } from '../ir/types';
import type { TaskSnapshot } from '../workflows/types';

/** Everything one task needs to run, decided by the workflow (inputs are already resolved). */
export interface TaskActivityInput {
  runId: string;
  runName: string;
  pipelineName: string;
  pipelineRoot: string;
  /** RFC3339 run creation time. */
  createdAt: string;
  /** The task's identity (`root/for-loop-2[17]/train`, see ir/task-path.ts). */
  taskPath: string;
  /** The task's name in its DAG, as users see it. */
  displayName: string;
  componentName: string;
  container: ContainerSpec;
  inputDefinitions?: InputDefinitions;
  outputDefinitions?: OutputDefinitions;
  inputs: TaskOutputs;
  /** Launches allowed for this task: 1 + KFP's maxRetryCount. */
  maxStepAttempts: number;
}

export interface TaskActivityResult {
  outputs: TaskOutputs;
  /** Launch number that succeeded (1 when the first launch did). */
  attempts: number;
  podName: string;
}

export interface RunStateUpdate {
  runId: string;
  state: RunState;
  /** RFC3339, from workflow time, so a replayed write carries the same value. */
  at: string;
  error?: RunError;
  /** Tasks whose state only the workflow knows (skipped, canceled before start). */
  tasks?: TaskSnapshot[];
}
