import type { ResourceRequirements } from '../../../ir/resources';
import type { ParameterValue } from '../../../ir/types';
import type { RunPlaceholderValues } from '../../../ir/placeholders';
import type { LaunchSpec } from '../runner';
import type { KubernetesPlatform } from './platform-config';

/**
 * What kfp-kubernetes' `*Parameter` values (a secret's or PVC's name, a node selector's JSON)
 * resolve against. KFP's driver resolves them in the task's DAG, like the task's own inputs: a
 * `componentInputParameter` names an input of the enclosing DAG (not of the task), a
 * `taskOutputParameter` an output of a sibling task.
 */
export interface PlatformScope {
  /** Inputs of the DAG instance holding the task; an optional input left unset is absent or null. */
  parameters: Record<string, ParameterValue>;
  /** Output parameters of the sibling tasks that succeeded, by task name. */
  taskOutputs: Record<string, Record<string, ParameterValue>>;
  /** Values of run placeholders (`{{$.pipeline_job_uuid}}`) inside constants; a constant using one fails without them. */
  run?: RunPlaceholderValues;
}

/** A launch as the Kubernetes runner needs it: the local launch plus what only a pod has. */
export interface PodLaunch extends LaunchSpec {
  runId: string;
  /** The task's path (`root/for-loop-2[17]/train`), from which `name` was derived. */
  taskPath: string;
  /** The launch number `n` of `name` (`<run>-<task>-<n>`): 1, then one more per KFP retry. */
  launch: number;
  /** The task's executor (`exec-train`): its platform settings and every error are found by it. */
  executorLabel: string;
  /** The executor's `container.resources`, resolved from the task's inputs (`ir/resources.ts`). */
  resources?: ResourceRequirements;
  /** The task's resolved input parameters: placeholders in `image` read them, as in KFP's driver. */
  inputParameters: Record<string, ParameterValue>;
  /** The run's `platforms.kubernetes`, parsed (`parseKubernetesPlatform`). */
  platform: KubernetesPlatform;
  scope: PlatformScope;
}
