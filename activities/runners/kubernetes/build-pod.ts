/**
 * One pod per launch, built by a pure function: the same launch and config always give the same
 * pod, so a worker that retries a submission (or reads back an existing pod after AlreadyExists)
 * deals with one definition. Submitting and watching it is the runner's job, not this file's.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { PlaceholderError } from '../../../ir/errors';
import { resolveConstantPlaceholders } from '../../../ir/placeholders';
import { ownValue } from '../../../ir/records';
import { containerEnv, verbatim } from './env';
import { mountExecutorVolumes } from './executor-volumes';
import { initContainers } from './init-containers';
import { podMetadata } from './metadata';
import { isDnsLabel } from './names';
import { nameSource, resolveName } from './parameters';
import type { PodLaunch } from './pod-launch';
import { podSpecError } from './pod-spec-error';
import { executorPath, type KubernetesExecutorConfig } from './platform-config';
import { containerResources } from './resources';
import type { KubernetesRunnerConfig } from './runner-config';
import { affinity, nodeSelector, tolerations } from './scheduling';
import { containerSecurityContext, mainSecurityContext, podSecurityContext } from './security';
import { mountStorage } from './storage';
import { PodVolumes } from './volumes';

/** The step's container; KFP's user container has the same name. */
export const MAIN_CONTAINER = 'main';

/** The image, its `{{$.inputs.parameters['x']}}` placeholders resolved from the task's inputs, as KFP's driver does. */
function image(launch: PodLaunch): string {
  const path = `deploymentSpec.executors.${launch.executorLabel}.container.image`;
  try {
    const resolved = resolveConstantPlaceholders(launch.image, undefined, launch.inputParameters).trim();
    if (!resolved) throw podSpecError(path, 'is empty');
    return resolved;
  } catch (error) {
    if (error instanceof PlaceholderError) throw podSpecError(path, error.message);
    throw error;
  }
}

/** The runner's pull secrets, then the executor's (a name that is a DAG input left unset adds none). */
function imagePullSecrets(launch: PodLaunch, executor: KubernetesExecutorConfig, config: KubernetesRunnerConfig, path: string): { name: string }[] {
  const names = new Set(config.imagePullSecrets);
  (executor.imagePullSecret ?? []).forEach((entry, i) => {
    const name = resolveName(nameSource(entry.secretNameParameter, entry.secretName, `${path}.imagePullSecret[${i}]`, 'secretName'), 'Secret', launch.scope);
    if (name !== undefined) names.add(name);
  });
  return [...names].map((name) => ({ name }));
}

/**
 * The pod for `launch`: its command exactly the launch's argv (no shell), its environment and
 * working directory the launch's, the artifact store mounted where the worker has it, and the
 * executor's kfp-kubernetes settings applied, under the runner's least-privilege defaults.
 *
 * @throws PodSpecError naming the field (`platforms.kubernetes.deploymentSpec.executors.<exec>.…`,
 *   the executor's `container.resources`, the runner's config or the launch) whose value cannot
 *   become this pod. The same launch always fails the same way: no retry can help.
 */
export function buildPod(launch: PodLaunch, config: KubernetesRunnerConfig): V1Pod {
  if (!isDnsLabel(launch.name)) throw podSpecError('launch.name', `'${launch.name}' is not a pod name (a DNS-1123 label of at most 63 characters)`);
  if (launch.argv.length === 0) throw podSpecError('launch.argv', 'is empty: the step has no command');
  const path = executorPath(launch.executorLabel);
  const executor: KubernetesExecutorConfig = ownValue(launch.platform.deploymentSpec.executors, launch.executorLabel) ?? {};
  const { scope } = launch;

  const volumes = new PodVolumes();
  mountStorage(launch, config, volumes);
  mountExecutorVolumes(executor, scope, volumes, path);
  const [program, ...args] = launch.argv.map(verbatim);
  const main: V1Container = {
    name: MAIN_CONTAINER,
    image: image(launch),
    command: [program],
    args,
    workingDir: launch.workDir,
    env: containerEnv(launch.env, executor, scope, path),
    resources: containerResources(launch.resources, launch.executorLabel, config),
    volumeMounts: volumes.mounts,
    securityContext: mainSecurityContext(config.securityContext, executor.securityContext, `${path}.securityContext`),
    // A failed step's last log lines become its termination message, which the runner can report.
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...(executor.imagePullPolicy ? { imagePullPolicy: executor.imagePullPolicy } : {}),
  };
  const inits = initContainers(executor, volumes, containerSecurityContext(config.securityContext), [MAIN_CONTAINER], `${path}.initContainers`);
  const pullSecrets = imagePullSecrets(launch, executor, config, path);
  const selector = nodeSelector(executor, scope, `${path}.nodeSelector`);
  const tolerated = tolerations(executor, scope, `${path}.tolerations`);
  const placement = affinity(executor, scope, path);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: podMetadata(launch, config.namespace, executor, `${path}.podMetadata`),
    spec: {
      restartPolicy: 'Never',
      containers: [main],
      ...(inits ? { initContainers: inits } : {}),
      volumes: volumes.volumes,
      securityContext: podSecurityContext(config.securityContext),
      automountServiceAccountToken: config.automountServiceAccountToken,
      ...(config.serviceAccountName ? { serviceAccountName: config.serviceAccountName } : {}),
      ...(pullSecrets.length ? { imagePullSecrets: pullSecrets } : {}),
      // Service links would add an environment variable per Service in the namespace to the step's.
      enableServiceLinks: false,
      ...(executor.activeDeadlineSeconds ? { activeDeadlineSeconds: executor.activeDeadlineSeconds } : {}),
      ...(selector ? { nodeSelector: selector } : {}),
      ...(tolerated.length ? { tolerations: tolerated } : {}),
      ...(placement ? { affinity: placement } : {}),
    },
  };
}
