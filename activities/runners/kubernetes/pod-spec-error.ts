import type { SpecIssue } from '../../../ir/errors';

/**
 * Thrown when a launch cannot become a pod: the kfp-kubernetes platform config or the executor's
 * resources are malformed or ask for something Kubernetes would refuse (a bad quantity or
 * toleration operator, two volumes with one name, two mounts at one path), or a field the
 * Kubernetes runner does not carry out. Each issue names the field
 * (`platforms.kubernetes.deploymentSpec.executors.<exec>.<field>[i]…`), so the author can fix the
 * pipeline; no retry can help, as the same input always builds the same pod.
 */
export class PodSpecError extends Error {
  readonly issues: SpecIssue[];

  constructor(issues: SpecIssue[]) {
    super(['cannot build the pod:', ...issues.map((issue) => `  ${issue.path}: ${issue.message}`)].join('\n'));
    this.name = 'PodSpecError';
    this.issues = issues;
  }
}

/** The one-issue form used while building, where the first problem stops the build. */
export function podSpecError(path: string, message: string): PodSpecError {
  return new PodSpecError([{ path, message }]);
}
