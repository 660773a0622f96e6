import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** What a pod's status means for its launch, read by `classifyPod`. */
export type PodOutcome =
  /** Not ended yet (pending, scheduled, running); `waiting` says why it has not started, when it has not. */
  | { kind: 'running'; phase: string; waiting?: string }
  | { kind: 'exited'; exitCode: number }
  /**
   * Ended without an exit code the step chose, or will never start. `retryable`: another launch
   * may fare better (an eviction, a deleted pod); `timedOut`: `activeDeadlineSeconds` passed.
   */
  | { kind: 'failed'; reason: string; message: string; retryable: boolean; exitCode?: number; timedOut?: boolean };

/** Container waiting reasons that no amount of waiting fixes: the pod never starts. */
const NEVER_STARTS: Record<string, string> = {
  ImagePullBackOff: 'the image cannot be pulled',
  InvalidImageName: 'the image name is invalid',
  ErrImageNeverPull: 'the image is not on the node and its pull policy is Never',
  CreateContainerConfigError: "the container's configuration cannot be satisfied (a missing secret or config map?)",
  CreateContainerError: 'the container cannot be created',
};

export interface ClassifyOptions {
  /** How long a pod may stay unschedulable before its launch fails with the scheduler's message. */
  unschedulableTimeoutMs: number;
}

/**
 * The launch's state from its pod, as the API reports it: every terminal class names itself
 * (OOMKilled, image pull errors, a missing secret, unschedulable past `unschedulableTimeoutMs`,
 * evicted, past its deadline) with Kubernetes' own message, and only what another launch could
 * fix is retryable. A plain non-zero exit is the step's own outcome (KFP's retry policy decides).
 */
export function classifyPod(pod: V1Pod, now: Date, opts: ClassifyOptions): PodOutcome {
  const phase = pod.status?.phase ?? 'Pending';
  const main = mainContainer(pod);
  const terminated = main?.state?.terminated;
  if (phase === 'Succeeded') return { kind: 'exited', exitCode: terminated?.exitCode ?? 0 };
  if (phase === 'Failed') {
    const reason = pod.status?.reason ?? '';
    if (reason === 'DeadlineExceeded') {
      return { kind: 'failed', reason, message: `the pod ran past its activeDeadlineSeconds (${pod.spec?.activeDeadlineSeconds ?? '?'} s)`, retryable: false, timedOut: true };
    }
    if (reason === 'Evicted') return { kind: 'failed', reason, message: `the pod was evicted: ${pod.status?.message ?? 'no message'}`, retryable: true };
    if (terminated?.reason === 'OOMKilled') {
      const limit = pod.spec?.containers?.[0]?.resources?.limits?.memory;
      return { kind: 'failed', reason: 'OOMKilled', message: `the step was OOMKilled: it needed more memory than its limit${limit ? ` (${limit})` : ''}`, retryable: true, exitCode: terminated.exitCode };
    }
    if (terminated) return { kind: 'exited', exitCode: terminated.exitCode };
    return { kind: 'failed', reason: reason || 'Failed', message: `the pod failed: ${pod.status?.message ?? 'no message'}`, retryable: true };
  }
  const waiting = main?.state?.waiting;
  if (waiting?.reason && Object.hasOwn(NEVER_STARTS, waiting.reason)) {
    return { kind: 'failed', reason: waiting.reason, message: `${NEVER_STARTS[waiting.reason]}: ${waiting.message ?? waiting.reason}`, retryable: false };
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (phase === 'Pending' && scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const since = new Date(scheduled.lastTransitionTime ?? pod.metadata?.creationTimestamp ?? now);
    const message = scheduled.message ?? 'no scheduler message';
    if (now.getTime() - since.getTime() >= opts.unschedulableTimeoutMs) {
      return { kind: 'failed', reason: 'Unschedulable', message: `the pod could not be scheduled for ${Math.round(opts.unschedulableTimeoutMs / 1000)} s: ${message}`, retryable: false };
    }
    return { kind: 'running', phase, waiting: `unschedulable: ${message}` };
  }
  return { kind: 'running', phase, waiting: waiting?.reason ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` : undefined };
}

/** The step's container: `main`, or the only one. */
function mainContainer(pod: V1Pod): V1ContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.find((s) => s.name === 'main') ?? (statuses.length === 1 ? statuses[0] : undefined);
}
