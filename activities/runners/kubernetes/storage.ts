/**
 * Sluice's own mounts: the artifact store, the run's workspace, and scratch space under a
 * read-only root. Mounted before anything an executor asks for, which may not mount inside them.
 */
import { PLATFORM_PATH } from './platform-config';
import { dnsLabelFor } from './names';
import type { PodLaunch } from './pod-launch';
import { podSpecError } from './pod-spec-error';
import type { KubernetesRunnerConfig } from './runner-config';
import { isWithin, type PodVolumes } from './volumes';

/** Where KFP mounts the workspace (`component.WorkspaceMountPath`), so `{{$.workspace_path}}` must resolve to it for pods. */
export const WORKSPACE_MOUNT_PATH = '/kfp-workspace';
const WORKSPACE_VOLUME = 'kfp-workspace';
const ARTIFACTS_VOLUME = 'sluice-artifacts';
const TMP_VOLUME = 'sluice-tmp';
const CONFIG_PATH = 'kubernetes';

/** The PVC of run `runId`'s workspace, as KFP names it after its workflow (`<name>-kfp-workspace`); its creator uses this name too. */
export function workspaceClaimName(runId: string): string {
  return dnsLabelFor(`${runId}-kfp-workspace`);
}

/**
 * Mounts the artifact PVC at the worker's artifact root, so artifact URIs (absolute paths) name
 * the same files in the step as in the worker. A run with `pipelineConfig.workspace` mounts its
 * workspace PVC in every pod: KFP mounts it only where a task's inputs mention the workspace,
 * but here `{{$.workspace_path}}` is already resolved into argv and env, and a missing mount
 * would let a step write into its own container unnoticed.
 *
 * @throws PodSpecError when the launch's directories lie outside these shared volumes (the step
 *   could not write its outputs where the worker reads them).
 */
export function mountStorage(launch: PodLaunch, config: KubernetesRunnerConfig, volumes: PodVolumes): void {
  const { claimName, mountPath } = config.artifactStore;
  volumes.addVolume({ name: ARTIFACTS_VOLUME, persistentVolumeClaim: { claimName } }, `${CONFIG_PATH}.artifactStore.claimName`);
  volumes.mount({ name: ARTIFACTS_VOLUME, mountPath }, `${CONFIG_PATH}.artifactStore.mountPath`, 'the artifact store');
  const shared = [mountPath];
  if (launch.platform.pipelineConfig?.workspace) {
    const path = `${PLATFORM_PATH}.pipelineConfig.workspace`;
    volumes.addVolume({ name: WORKSPACE_VOLUME, persistentVolumeClaim: { claimName: workspaceClaimName(launch.runId) } }, path);
    volumes.mount({ name: WORKSPACE_VOLUME, mountPath: WORKSPACE_MOUNT_PATH }, path, 'the pipeline workspace');
    shared.push(WORKSPACE_MOUNT_PATH);
  }
  if (config.securityContext.readOnlyRootFilesystem) {
    const path = `${CONFIG_PATH}.securityContext.readOnlyRootFilesystem`;
    volumes.addVolume({ name: TMP_VOLUME, emptyDir: {} }, path);
    volumes.mount({ name: TMP_VOLUME, mountPath: '/tmp' }, path, 'scratch space (the root filesystem is read-only)');
  }
  const dirs: [string, string][] = [[launch.workDir, 'launch.workDir'], ...launch.writableDirs.map((dir, i): [string, string] => [dir, `launch.writableDirs[${i}]`])];
  for (const [dir, path] of dirs) {
    if (!shared.some((root) => isWithin(dir, root))) {
      throw podSpecError(path, `${dir} is outside the volumes the worker shares with the pod (${shared.join(', ')}), so the step could not write there`);
    }
  }
}
