/**
 * kfp-kubernetes' `initContainers`, as KFP's driver builds them: hardened like the main
 * container, mounting only volumes the pod already has (by name), `restartPolicy: Always` making
 * one a native sidecar.
 */
import type { V1Container, V1SecurityContext } from '@kubernetes/client-node';
import { EnvList, verbatim } from './env';
import { isDnsLabel } from './names';
import { podSpecError } from './pod-spec-error';
import type { KubernetesExecutorConfig } from './platform-config';
import { checkMountPath, type PodVolumes } from './volumes';

export function initContainers(
  config: KubernetesExecutorConfig,
  volumes: PodVolumes,
  securityContext: V1SecurityContext,
  takenNames: readonly string[],
  path: string,
): V1Container[] | undefined {
  if (!config.initContainers?.length) return undefined;
  const names = new Set(takenNames);
  return config.initContainers.map((spec, i) => {
    const at = `${path}[${i}]`;
    if (!isDnsLabel(spec.name)) throw podSpecError(`${at}.name`, `'${spec.name}' is not a container name (a DNS-1123 label)`);
    if (names.has(spec.name)) throw podSpecError(`${at}.name`, `'${spec.name}' is already the name of another container of the pod`);
    names.add(spec.name);
    const env = new EnvList();
    (spec.env ?? []).forEach(({ name, value = '' }, j) => env.add({ name, value: verbatim(value) }, `${at}.env[${j}].name`));
    const mountPaths = new Set<string>();
    const volumeMounts = (spec.volumeMounts ?? []).map(({ volumeName, mountPath }, j) => {
      const mountAt = `${at}.volumeMounts[${j}]`;
      if (!volumes.hasVolume(volumeName)) throw podSpecError(`${mountAt}.volumeName`, `the pod has no volume '${volumeName}'`);
      const canonical = checkMountPath(mountPath, `${mountAt}.mountPath`);
      if (mountPaths.has(canonical)) throw podSpecError(`${mountAt}.mountPath`, `mountPath collision: ${mountPath} is already mounted in this container`);
      mountPaths.add(canonical);
      return { name: volumeName, mountPath };
    });
    const resources = spec.resources && { ...(spec.resources.requests ? { requests: spec.resources.requests } : {}), ...(spec.resources.limits ? { limits: spec.resources.limits } : {}) };
    return {
      name: spec.name,
      image: spec.image,
      ...(spec.command ? { command: spec.command.map(verbatim) } : {}),
      ...(spec.args ? { args: spec.args.map(verbatim) } : {}),
      ...(env.vars.length ? { env: env.vars } : {}),
      ...(volumeMounts.length ? { volumeMounts } : {}),
      ...(spec.restartPolicy ? { restartPolicy: spec.restartPolicy } : {}),
      ...(resources ? { resources } : {}),
      securityContext,
    };
  });
}
