import { SpecNotSupportedError } from '../../ir/errors';
import { assertLocalRunnerSupports, unsupportedExecutors } from '../../ir/platform';
import type { PipelineSpec } from '../../ir/types';
import { parseKubernetesPlatform } from './kubernetes/platform-config';
import { PodSpecError } from './kubernetes/pod-spec-error';

/** Refuses, before a run is created, platform settings the configured runner cannot carry out. */
export type PlatformCheck = (platformSpec: unknown, spec: PipelineSpec) => void;

/**
 * The configured runner's check: the local runner refuses every Kubernetes feature but the
 * timeout and the PVC steps; the Kubernetes runner parses the whole kfp-kubernetes document
 * (each problem named by its field) and refuses the executors it does not carry out yet (OCI
 * model imports). Throws SpecNotSupportedError.
 */
export function platformCheckFor(runner: 'local' | 'kubernetes'): PlatformCheck {
  if (runner === 'local') return assertLocalRunnerSupports;
  return (platformSpec, spec) => {
    const issues = unsupportedExecutors(spec, 'kubernetes');
    try {
      parseKubernetesPlatform(platformSpec);
    } catch (err) {
      if (!(err instanceof PodSpecError)) throw err;
      issues.push(...err.issues);
    }
    if (issues.length) throw new SpecNotSupportedError(issues);
  };
}
