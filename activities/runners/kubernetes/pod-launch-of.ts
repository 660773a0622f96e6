import type { LaunchSpec } from '../runner';
import { parseKubernetesPlatform } from './platform-config';
import type { PodLaunch } from './pod-launch';
import { podSpecError } from './pod-spec-error';

/**
 * The pod builder's view of a prepared launch: the launch plus who it is and its parsed
 * kfp-kubernetes settings, which `prepareLaunch` carries in `spec.task`.
 * @throws PodSpecError when the launch lacks them or they are malformed.
 */
export function podLaunchOf(spec: LaunchSpec): PodLaunch {
  const task = spec.task;
  if (!task?.executorLabel) throw podSpecError('launch.task', 'a pod needs the launch\'s task and executor (an activity input from an older workflow?)');
  return {
    ...spec,
    runId: task.runId,
    taskPath: task.taskPath,
    launch: task.launch,
    executorLabel: task.executorLabel,
    resources: task.resources,
    inputParameters: task.inputParameters,
    platform: parseKubernetesPlatform(task.platformSpec),
    scope: { parameters: task.platformScope?.parameters ?? {}, taskOutputs: task.platformScope?.taskOutputs ?? {} },
  };
}
