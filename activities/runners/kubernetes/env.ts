/**
 * The main container's environment: the launch's own variables, then kfp-kubernetes'
 * `secretAsEnv`, `configMapAsEnv` and `fieldPathAsEnv`, in the order of KFP's driver.
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import { isEnvName } from './names';
import { nameSource, resolveName } from './parameters';
import type { PlatformScope } from './pod-launch';
import { podSpecError } from './pod-spec-error';
import type { KubernetesExecutorConfig } from './platform-config';

/**
 * `text` as Kubernetes must be given it to pass it on unchanged: it expands `$(VAR)` in command,
 * args and env values and reads `$$` as `$`, so every `$` is doubled. A step then receives its
 * argv byte for byte, as under the local runner (KFP leaves `$(VAR)` to Kubernetes).
 */
export function verbatim(text: string): string {
  return text.replace(/\$/g, () => '$$');
}

/** Fields of the pod that the downward API gives a container's environment. */
const FIELD_PATH = /^(metadata\.(name|namespace|uid|(labels|annotations)\['[^']+'\])|spec\.(nodeName|serviceAccountName)|status\.(hostIPs?|podIPs?))$/;

/** Variables in order, each name once: a second definition is an error naming both places. */
export class EnvList {
  readonly vars: V1EnvVar[] = [];
  private readonly owners = new Map<string, string>();

  add(variable: V1EnvVar, path: string): void {
    if (!isEnvName(variable.name)) throw podSpecError(path, `'${variable.name}' is not an environment variable name`);
    const owner = this.owners.get(variable.name);
    if (owner) throw podSpecError(path, `environment variable ${variable.name} is already set (${owner})`);
    this.owners.set(variable.name, path);
    this.vars.push(variable);
  }
}

/** The launch's variables are sorted by name, so the same launch always yields the same pod. */
export function containerEnv(launchEnv: Record<string, string>, config: KubernetesExecutorConfig, scope: PlatformScope, path: string): V1EnvVar[] {
  const env = new EnvList();
  for (const name of Object.keys(launchEnv).sort()) env.add({ name, value: verbatim(launchEnv[name]) }, `the launch's environment (${name})`);

  (config.secretAsEnv ?? []).forEach((entry, i) => {
    const at = `${path}.secretAsEnv[${i}]`;
    const name = resolveName(nameSource(entry.secretNameParameter, entry.secretName, at, 'secretName'), 'Secret', scope);
    if (name === undefined) return;
    entry.keyToEnv.forEach(({ secretKey, envVar }, j) =>
      env.add({ name: envVar, valueFrom: { secretKeyRef: { name, key: secretKey, ...(entry.optional !== undefined ? { optional: entry.optional } : {}) } } }, `${at}.keyToEnv[${j}].envVar`),
    );
  });
  (config.configMapAsEnv ?? []).forEach((entry, i) => {
    const at = `${path}.configMapAsEnv[${i}]`;
    const name = resolveName(nameSource(entry.configMapNameParameter, entry.configMapName, at, 'configMapName'), 'ConfigMap', scope);
    if (name === undefined) return;
    entry.keyToEnv.forEach(({ configMapKey, envVar }, j) =>
      env.add({ name: envVar, valueFrom: { configMapKeyRef: { name, key: configMapKey, ...(entry.optional !== undefined ? { optional: entry.optional } : {}) } } }, `${at}.keyToEnv[${j}].envVar`),
    );
  });
  (config.fieldPathAsEnv ?? []).forEach(({ name, fieldPath }, i) => {
    const at = `${path}.fieldPathAsEnv[${i}]`;
    if (!FIELD_PATH.test(fieldPath)) throw podSpecError(`${at}.fieldPath`, `'${fieldPath}' is not a pod field the downward API offers (metadata.name, metadata.labels['k'], status.podIP, …)`);
    env.add({ name, valueFrom: { fieldRef: { fieldPath } } }, `${at}.name`);
  });
  return env.vars;
}
