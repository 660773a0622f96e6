/**
 * kfp-kubernetes' volumes, in the order of KFP's driver: `pvcMount`, `secretAsVolume`,
 * `configMapAsVolume`, `genericEphemeralVolume`, `emptyDirMounts`, plus `enabledSharedMemory`.
 * A PVC, Secret or ConfigMap volume is named after its object, as KFP names it (init containers
 * mount volumes by that name), made a valid volume name when it is not one.
 */
import { checkLabels, dnsLabelFor } from './names';
import { nameSource, resolveName, type NameSource } from './parameters';
import type { PlatformScope } from './pod-launch';
import { podSpecError } from './pod-spec-error';
import type { KubernetesExecutorConfig } from './platform-config';
import type { PodVolumes } from './volumes';

type PvcMount = NonNullable<KubernetesExecutorConfig['pvcMount']>[number];

/** `pvcNameParameter`, else one of the deprecated forms beside it, as KFP's driver reads them. */
function pvcNameSource(mount: PvcMount, at: string): NameSource {
  if (mount.pvcNameParameter) return nameSource(mount.pvcNameParameter, undefined, at, 'pvcName');
  if (mount.constant) return { literal: mount.constant, path: `${at}.constant` };
  if (mount.componentInputParameter) return { parameter: { componentInputParameter: mount.componentInputParameter }, path: at };
  return { parameter: { taskOutputParameter: mount.taskOutputParameter }, path: at };
}

/** A Secret's or ConfigMap's volume: skipped when its name is a DAG input left unset, as in KFP. */
function objectVolume(
  volumes: PodVolumes,
  source: NameSource,
  kind: 'Secret' | 'ConfigMap',
  entry: { mountPath: string; optional?: boolean },
  scope: PlatformScope,
  at: string,
): void {
  const objectName = resolveName(source, kind, scope);
  if (objectName === undefined) return;
  const name = dnsLabelFor(objectName);
  const optional = entry.optional ?? false;
  volumes.addVolume(kind === 'Secret' ? { name, secret: { secretName: objectName, optional } } : { name, configMap: { name: objectName, optional } }, at);
  volumes.mount({ name, mountPath: entry.mountPath }, `${at}.mountPath`);
}

export function mountExecutorVolumes(config: KubernetesExecutorConfig, scope: PlatformScope, volumes: PodVolumes, path: string): void {
  (config.pvcMount ?? []).forEach((mount, i) => {
    const at = `${path}.pvcMount[${i}]`;
    const source = pvcNameSource(mount, at);
    const claimName = resolveName(source, 'PersistentVolumeClaim', scope);
    if (claimName === undefined) throw podSpecError(source.path, 'names an input of the enclosing DAG that has no value, and a PVC mount needs a claim');
    const name = dnsLabelFor(claimName);
    volumes.addVolume({ name, persistentVolumeClaim: { claimName } }, at);
    volumes.mount({ name, mountPath: mount.mountPath, ...(mount.subPath ? { subPath: mount.subPath } : {}) }, `${at}.mountPath`);
  });
  (config.secretAsVolume ?? []).forEach((entry, i) => {
    const at = `${path}.secretAsVolume[${i}]`;
    objectVolume(volumes, nameSource(entry.secretNameParameter, entry.secretName, at, 'secretName'), 'Secret', entry, scope, at);
  });
  (config.configMapAsVolume ?? []).forEach((entry, i) => {
    const at = `${path}.configMapAsVolume[${i}]`;
    objectVolume(volumes, nameSource(entry.configMapNameParameter, entry.configMapName, at, 'configMapName'), 'ConfigMap', entry, scope, at);
  });
  (config.genericEphemeralVolume ?? []).forEach((entry, i) => {
    const at = `${path}.genericEphemeralVolume[${i}]`;
    const metadata = {
      ...(entry.metadata?.labels ? { labels: checkLabels(entry.metadata.labels, `${at}.metadata.labels`) } : {}),
      ...(entry.metadata?.annotations ? { annotations: entry.metadata.annotations } : {}),
    };
    volumes.addVolume(
      {
        name: entry.volumeName,
        ephemeral: {
          volumeClaimTemplate: {
            ...(Object.keys(metadata).length ? { metadata } : {}),
            spec: {
              accessModes: entry.accessModes,
              resources: { requests: { storage: entry.size } },
              // As KFP's driver: no class named and the default not asked for means no class ('').
              ...(entry.defaultStorageClass ? {} : { storageClassName: entry.storageClassName ?? '' }),
            },
          },
        },
      },
      `${at}.volumeName`,
    );
    volumes.mount({ name: entry.volumeName, mountPath: entry.mountPath }, `${at}.mountPath`);
  });
  (config.emptyDirMounts ?? []).forEach((entry, i) => {
    const at = `${path}.emptyDirMounts[${i}]`;
    volumes.addVolume({ name: entry.volumeName, emptyDir: { ...(entry.medium ? { medium: entry.medium } : {}), ...(entry.sizeLimit ? { sizeLimit: entry.sizeLimit } : {}) } }, `${at}.volumeName`);
    volumes.mount({ name: entry.volumeName, mountPath: entry.mountPath }, `${at}.mountPath`);
  });
  const shm = config.enabledSharedMemory;
  if (shm) {
    // The container runtime's /dev/shm is 64 MB; PyTorch's data loaders need more.
    const name = shm.volumeName || 'shm';
    volumes.addVolume({ name, emptyDir: { medium: 'Memory', ...(shm.size ? { sizeLimit: shm.size } : {}) } }, `${path}.enabledSharedMemory`);
    volumes.mount({ name, mountPath: '/dev/shm' }, `${path}.enabledSharedMemory`);
  }
}
