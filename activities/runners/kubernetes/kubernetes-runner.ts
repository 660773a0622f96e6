import { appendFile, chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, Log, Watch, type KubeConfig, type V1PersistentVolumeClaim, type V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../../../config/constants';
import { launchDirs, type LaunchHandle, type LaunchProgress, type LaunchSpec, type LaunchStatus, type Runner, type RunWorkspaces } from '../runner';
import { MAIN_CONTAINER } from './build-pod';
import type { ClaimStep } from './claims';
import { POD_ANNOTATIONS } from './metadata';
import { classifyPod, type PodOutcome } from './pod-status';
import { WORKSPACE_MOUNT_PATH, workspaceClaimName } from './storage';

export interface KubernetesRunnerOptions {
  namespace: string;
  /** Builds the launch's pod (pure; see `build-pod.ts`). */
  podFor: (spec: LaunchSpec) => V1Pod;
  /** What a kfp-kubernetes CreatePVC/DeletePVC launch does instead of a pod; undefined for any other launch (pure; see `claims.ts`). */
  claimStepFor?: (spec: LaunchSpec) => ClaimStep | undefined;
  /** Run `runId`'s workspace claim, undefined when its platform spec configures no workspace (pure; see `claims.ts`). */
  workspaceClaimFor?: (runId: string, platformSpec: Record<string, unknown> | undefined) => V1PersistentVolumeClaim | undefined;
  /** How long a pod may stay unschedulable before its launch fails with the scheduler's message. */
  unschedulableTimeoutMs?: number;
  /** A watch that saw nothing for this long is replaced by a fresh read and watch. */
  relistMs?: number;
  /** The pod's user and group, for whom the launch's directories on the shared volume are made writable. */
  writableBy?: { runAsUser: number; runAsGroup: number };
  /** What happens to a finished pod once its outcome is recorded. @default keep-failed */
  retention?: 'delete' | 'keep-failed' | 'keep';
}

/** Where the log follower keeps the timestamp of the last line it copied, so a new worker resumes after it. */
const LOG_CURSOR = 'log.cursor';

/**
 * Runs each launch as one pod named by the launch (so a retried or resumed activity finds it:
 * AlreadyExists means "read it back"), follows it with the watch API (resuming from its
 * resourceVersion, re-reading it when a watch ends or stays silent), copies its log into the
 * launch's log file as it is written (from where the last follower stopped), and deletes it on
 * cancel or timeout (gracefully, then by force).
 */
export class KubernetesRunner implements Runner {
  private readonly core: CoreV1Api;
  private readonly unschedulableTimeoutMs: number;
  private readonly relistMs: number;
  readonly carriesKubernetesSteps = true;
  /**
   * One claim per run, mounted at KFP's path in every pod of the run. Removed when the run ends,
   * whatever the pod retention: KFP's workflows delete it then too (Argo's volumeClaimGC), and a
   * kept pod still holds it (Kubernetes' pvc-protection) until that pod goes.
   */
  readonly workspaces: RunWorkspaces = {
    mountPath: WORKSPACE_MOUNT_PATH,
    create: (runId, platformSpec) => this.createWorkspace(runId, platformSpec),
    remove: (runId) => this.deleteClaim(workspaceClaimName(runId)),
  };

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: KubernetesRunnerOptions,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.unschedulableTimeoutMs = opts.unschedulableTimeoutMs ?? 5 * 60_000;
    this.relistMs = opts.relistMs ?? 30_000;
  }

  async start(spec: LaunchSpec): Promise<LaunchHandle> {
    const namespace = this.opts.namespace;
    const step = this.opts.claimStepFor?.(spec);
    if (step) return this.runClaimStep(spec, step);
    const body = this.opts.podFor(spec);
    await this.makeWritable(launchDirs(spec));
    const pod = await this.core.createNamespacedPod({ namespace, body }).catch((err: unknown) => {
      if (httpStatusOf(err) === 409) return this.core.readNamespacedPod({ name: spec.name, namespace });
      throw err;
    });
    return { name: spec.name, ref: { namespace, uid: pod.metadata?.uid ?? '', workDir: spec.workDir, logFile: spec.logFile } };
  }

  async attach(spec: LaunchSpec): Promise<LaunchHandle | undefined> {
    const handle = { name: spec.name, ref: { namespace: this.opts.namespace, workDir: spec.workDir, logFile: spec.logFile } };
    const pod = await this.read(handle);
    return pod && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? '') ? { ...handle, ref: { ...handle.ref, uid: pod.metadata?.uid ?? '' } } : undefined;
  }

  async wait(handle: LaunchHandle, signal: AbortSignal, progress?: (now: LaunchProgress) => void): Promise<LaunchStatus> {
    // A claim step is done once `start` returns: KFP's driver does not wait for a claim to bind either.
    if (handle.ref.claim !== undefined) return { status: 'exited', exitCode: 0 };
    const logs = new LogFollower(this.kc, handle);
    try {
      let pod = await this.read(handle);
      while (pod && !signal.aborted) {
        const outcome = classifyPod(pod, new Date(), { unschedulableTimeoutMs: this.unschedulableTimeoutMs });
        progress?.({ pod: handle.name, phase: pod.status?.phase ?? 'Pending', ...(outcome.kind === 'running' && outcome.waiting ? { waiting: outcome.waiting } : {}) });
        if (pod.status?.phase === 'Running') logs.start();
        if (outcome.kind !== 'running') {
          await logs.finish();
          return launchStatusOf(outcome);
        }
        pod = await this.nextState(handle, pod, signal);
      }
      if (signal.aborted) return { status: 'running' };
      return { status: 'lost', reason: `pod ${handle.name} was deleted before it finished` };
    } finally {
      logs.stop();
    }
  }

  async release(handle: LaunchHandle, succeeded: boolean): Promise<void> {
    if (handle.ref.claim !== undefined) return;
    const retention = this.opts.retention ?? 'keep-failed';
    if (retention === 'delete' || (retention === 'keep-failed' && succeeded)) await this.kill(handle, 0);
  }

  async kill(handle: LaunchHandle, graceMs: number): Promise<void> {
    if (handle.ref.claim !== undefined) return;
    const { name, namespace } = this.where(handle);
    const remove = (gracePeriodSeconds: number) =>
      this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds }).catch((err: unknown) => {
        if (httpStatusOf(err) !== 404) throw err;
      });
    await remove(Math.ceil(graceMs / 1000));
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!(await this.read(handle))) return;
      await sleep(200);
    }
    await remove(0);
  }

  /**
   * Carries out a CreatePVC or DeletePVC launch, idempotently: the claim a launch creates is named
   * by the launch, so AlreadyExists after a retry means "read it back" (unless another task or
   * user owns that name), and a claim already gone is deleted. A created claim's name is the
   * step's output parameter `name`, written where a step would write it.
   */
  private async runClaimStep(spec: LaunchSpec, step: ClaimStep): Promise<LaunchHandle> {
    const namespace = this.opts.namespace;
    if (step.kind === 'delete') {
      await this.deleteClaim(step.claimName);
      return { name: spec.name, ref: { namespace, claim: step.claimName } };
    }
    const name = step.claim.metadata?.name ?? '';
    const claim = await this.createClaim(step.claim);
    const owner = claim.metadata?.annotations?.[POD_ANNOTATIONS.taskPath];
    if (claim.metadata?.annotations?.[POD_ANNOTATIONS.runId] !== spec.task?.runId || owner !== spec.task?.taskPath) {
      throw ApplicationFailure.create({ message: `a PersistentVolumeClaim named ${name} exists already in namespace ${namespace}, not created by this task`, type: FailureTypes.launchFailed, nonRetryable: true });
    }
    const output = spec.task?.outputParameterFiles?.name;
    if (output) await writeFile(output, name);
    return { name: spec.name, ref: { namespace, claim: name } };
  }

  private async createWorkspace(runId: string, platformSpec: Record<string, unknown> | undefined): Promise<void> {
    const claim = this.opts.workspaceClaimFor?.(runId, platformSpec);
    if (claim) await this.createClaim(claim);
  }

  /** Creates `claim`, or reads back the claim of that name that is there already. */
  private async createClaim(claim: V1PersistentVolumeClaim): Promise<V1PersistentVolumeClaim> {
    const namespace = this.opts.namespace;
    const name = claim.metadata?.name ?? '';
    return this.core.createNamespacedPersistentVolumeClaim({ namespace, body: claim }).catch((err: unknown) => {
      if (httpStatusOf(err) === 409) return this.core.readNamespacedPersistentVolumeClaim({ name, namespace });
      throw refusal(err, `creating PersistentVolumeClaim ${name}`);
    });
  }

  /** Deletes a claim; one already gone counts as deleted (KFP's driver fails then, but a retried deletion must not). */
  private async deleteClaim(name: string): Promise<void> {
    await this.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: this.opts.namespace }).catch((err: unknown) => {
      if (httpStatusOf(err) !== 404) throw refusal(err, `deleting PersistentVolumeClaim ${name}`);
    });
  }

  /**
   * The step runs as another user than the worker: a root worker gives it the launch's own
   * directories; any other worker can only open them to everyone (the step's uid cannot be
   * known to the volume otherwise).
   */
  private async makeWritable(dirs: string[]): Promise<void> {
    const user = this.opts.writableBy;
    if (!user) return;
    for (const dir of dirs) {
      await mkdir(dir, { recursive: true });
      if (process.getuid?.() === 0) await chown(dir, user.runAsUser, user.runAsGroup);
      else await chmod(dir, 0o777);
    }
  }

  /** The pod, or undefined once it is gone (or replaced by another of the same name). */
  private async read(handle: LaunchHandle): Promise<V1Pod | undefined> {
    const { name, namespace, uid } = this.where(handle);
    const pod = await this.core.readNamespacedPod({ name, namespace }).catch((err: unknown) => {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    });
    return pod && (!uid || pod.metadata?.uid === uid) ? pod : undefined;
  }

  /**
   * The pod's next state: from a watch that resumes at `pod`'s resourceVersion, or from a fresh
   * read when the watch ends, fails, or stays silent for `relistMs` (which also re-checks an
   * unschedulable pod's timeout). Undefined when the pod is deleted.
   */
  private async nextState(handle: LaunchHandle, pod: V1Pod, signal: AbortSignal): Promise<V1Pod | undefined> {
    const { name, namespace } = this.where(handle);
    let watch: AbortController | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort = () => undefined as void;
    try {
      const next = await new Promise<V1Pod | 'deleted' | 'relist'>((resolve) => {
        const answer = (value: V1Pod | 'deleted' | 'relist') => {
          settled = true;
          resolve(value);
        };
        timer = setTimeout(() => answer('relist'), this.relistMs);
        onAbort = () => answer('relist');
        signal.addEventListener('abort', onAbort, { once: true });
        new Watch(this.kc)
          .watch(
            `/api/v1/namespaces/${namespace}/pods`,
            { fieldSelector: `metadata.name=${name}`, resourceVersion: pod.metadata?.resourceVersion },
            (type: string, obj: V1Pod) => {
              if (type === 'DELETED') answer('deleted');
              else if ((type === 'ADDED' || type === 'MODIFIED') && obj.metadata?.resourceVersion !== pod.metadata?.resourceVersion) answer(obj);
            },
            () => answer('relist'),
          )
          .then(
            (controller) => {
              watch = controller;
              if (settled) controller.abort();
            },
            () => answer('relist'),
          );
      });
      if (next === 'deleted') return undefined;
      if (next === 'relist') return await this.read(handle);
      return next.metadata?.uid === pod.metadata?.uid ? next : undefined;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      watch?.abort();
    }
  }

  private where(handle: LaunchHandle): { name: string; namespace: string; uid: string } {
    return { name: handle.name, namespace: String(handle.ref.namespace), uid: String(handle.ref.uid ?? '') };
  }
}

/** The launch's status from a pod that has ended. */
function launchStatusOf(outcome: Exclude<PodOutcome, { kind: 'running' }>): LaunchStatus {
  if (outcome.kind === 'exited') return { status: 'exited', exitCode: outcome.exitCode };
  return { status: 'failed', reason: outcome.reason, message: outcome.message, retryable: outcome.retryable, exitCode: outcome.exitCode, timedOut: outcome.timedOut };
}

/**
 * `err` as a final failure when the API server refused the request for good (forbidden: the
 * worker's Role lacks the verb; invalid: the object itself), else as it is, for a retry.
 */
function refusal(err: unknown, what: string): unknown {
  const status = httpStatusOf(err);
  if (status !== 400 && status !== 403 && status !== 422) return err;
  const body = (err as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // The body is a Status object, whose message says what was refused and why.
  const reason = ((): string => {
    try {
      return String((JSON.parse(text) as { message?: unknown }).message ?? text);
    } catch {
      return text;
    }
  })();
  return ApplicationFailure.create({ message: `${what}: the API server refused it (HTTP ${status}): ${reason}`, type: FailureTypes.launchFailed, nonRetryable: true, cause: err as Error });
}

/** The HTTP status of a Kubernetes API error, when it is one. */
function httpStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Copies the pod's log into the launch's log file: followed while the pod runs, then read once
 * more when it has ended (a follow stream need not close when the container does). Lines come
 * with timestamps; a cursor file keeps the last copied line's timestamp and how many lines
 * carried it, so a follower started again (a new attempt, a new worker) skips what it has.
 */
class LogFollower {
  private readonly core: CoreV1Api;
  private following: AbortController | undefined;
  private started = false;
  private stopped = false;
  private cursor: { stamp: string; count: number } | undefined;
  private seenAtStamp = 0;
  private partial = '';
  /** Copies in arrival order. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly kc: KubeConfig,
    private readonly handle: LaunchHandle,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private get where() {
    return { name: this.handle.name, namespace: String(this.handle.ref.namespace), container: MAIN_CONTAINER };
  }

  /** Follows the log of a running pod. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.writes = this.writes.then(() => this.follow()).catch(() => undefined);
  }

  /** The pod has ended: stop following, then copy whatever the follower had not. */
  async finish(): Promise<void> {
    this.stop();
    await this.writes;
    await this.load();
    const rest = await this.core.readNamespacedPodLog({ ...this.where, timestamps: true, ...this.since() }).catch(() => '');
    this.newStream();
    await this.copy(rest);
    if (this.partial) await this.copy('\n');
  }

  stop(): void {
    this.stopped = true;
    this.following?.abort();
  }

  private async follow(): Promise<void> {
    await this.load();
    this.newStream();
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.writes = this.writes.then(() => this.copy(chunk.toString('utf8')));
        this.writes.then(() => callback(), callback);
      },
    });
    this.following = await new Log(this.kc).log(this.where.namespace, this.where.name, this.where.container, sink, { follow: true, timestamps: true, ...this.since() });
    if (this.stopped) this.following.abort();
  }

  private async load(): Promise<void> {
    if (this.cursor) return;
    const saved = await readFile(join(String(this.handle.ref.workDir), LOG_CURSOR), 'utf8').catch(() => '');
    const [stamp = '', count = '0'] = saved.trim().split(' ');
    this.cursor = { stamp, count: Number(count) || 0 };
  }

  /** Each read of the log starts over at the cursor's second: count its lines afresh, drop a cut-off line. */
  private newStream(): void {
    this.seenAtStamp = 0;
    this.partial = '';
  }

  /** Whole seconds: the server compares at that precision; the cursor skips what was copied. */
  private since(): { sinceTime?: string } {
    return this.cursor?.stamp ? { sinceTime: `${this.cursor.stamp.slice(0, 19)}Z` } : {};
  }

  private async copy(chunk: string): Promise<void> {
    const cursor = this.cursor as { stamp: string; count: number };
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    let out = '';
    for (const line of lines) {
      const space = line.indexOf(' ');
      const stamp = space > 0 ? normalizeStamp(line.slice(0, space)) : '';
      if (stamp) {
        this.seenAtStamp = stamp === cursor.stamp ? this.seenAtStamp + 1 : 1;
        // Copied before: earlier than the last copied line, or within its count at that timestamp.
        if (stamp < cursor.stamp || (stamp === cursor.stamp && this.seenAtStamp <= cursor.count)) continue;
        cursor.stamp = stamp;
        cursor.count = this.seenAtStamp;
      }
      out += `${stamp ? line.slice(space + 1) : line}\n`;
    }
    if (!out) return;
    await appendFile(String(this.handle.ref.logFile), out);
    await writeFile(join(String(this.handle.ref.workDir), LOG_CURSOR), `${cursor.stamp} ${cursor.count}`);
  }
}

/** RFC 3339 timestamps with nine fractional digits, so that they compare as strings. */
function normalizeStamp(stamp: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : '';
}
