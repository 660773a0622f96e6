/**
 * Security contexts: the runner's least-privilege defaults (runner-config.ts), which an
 * executor's kfp-kubernetes `securityContext` may narrow or give an identity to, but never loosen.
 * KFP's backend instead ignores a user value the administrator has set; refusing it says why.
 */
import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import { podSpecError } from './pod-spec-error';
import type { KubernetesExecutorConfig } from './platform-config';
import type { KubernetesRunnerConfig } from './runner-config';

type Defaults = KubernetesRunnerConfig['securityContext'];

/**
 * `OnRootMismatch`: the artifact volume is large and shared, and the default policy would
 * re-own every file on it each time a pod starts.
 */
export function podSecurityContext(defaults: Defaults): V1PodSecurityContext {
  return {
    runAsNonRoot: defaults.runAsNonRoot,
    runAsUser: defaults.runAsUser,
    runAsGroup: defaults.runAsGroup,
    fsGroup: defaults.fsGroup,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: defaults.seccompProfile },
  };
}

/** The context of every container of the pod; init containers get it without the executor's identity. */
export function containerSecurityContext(defaults: Defaults): V1SecurityContext {
  return {
    allowPrivilegeEscalation: defaults.allowPrivilegeEscalation,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: defaults.readOnlyRootFilesystem,
  };
}

/**
 * The main container's context, with the executor's `securityContext` (`runAsUser`,
 * `runAsGroup`, `runAsNonRoot`) on top.
 *
 * @throws PodSpecError for `runAsNonRoot: false` or `runAsUser: 0` while the runner requires non-root steps.
 */
export function mainSecurityContext(defaults: Defaults, requested: KubernetesExecutorConfig['securityContext'], path: string): V1SecurityContext {
  const base = containerSecurityContext(defaults);
  if (!requested) return base;
  if (requested.runAsNonRoot === false && defaults.runAsNonRoot) {
    throw podSpecError(`${path}.runAsNonRoot`, "false is refused: the runner's configuration requires non-root steps (securityContext.runAsNonRoot)");
  }
  if (requested.runAsUser === 0 && (requested.runAsNonRoot ?? defaults.runAsNonRoot)) {
    throw podSpecError(`${path}.runAsUser`, 'root (0) is refused while runAsNonRoot is in force');
  }
  return {
    ...base,
    ...(requested.runAsUser !== undefined ? { runAsUser: requested.runAsUser } : {}),
    ...(requested.runAsGroup !== undefined ? { runAsGroup: requested.runAsGroup } : {}),
    ...(requested.runAsNonRoot !== undefined ? { runAsNonRoot: requested.runAsNonRoot } : {}),
  };
}
