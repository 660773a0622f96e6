import { appendFile, chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, Log, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { LaunchHandle, LaunchProgress, LaunchSpec, LaunchStatus, Runner } from '../runner';
import { MAIN_CONTAINER } from './build-pod';
import { classifyPod, type PodOutcome } from './pod-status';

export interface KubernetesRunnerOptions {
  namespace: string;
  /** Builds the launch's pod (pure; see `build-pod.ts`). */
  podFor: (spec: LaunchSpec) => V1Pod;
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
    const body = this.opts.podFor(spec);
    await this.makeWritable([spec.workDir, ...spec.writableDirs]);
    const pod = await this.core.createNamespacedPod({ namespace, body }).catch((err: unknown) => {
      if (httpStatusOf(err) === 409) return this.core.readNamespacedPod({ name: spec.name, namespace });
      throw err;
    });
    return { name: spec.name, ref: { namespace, uid: pod.metadata?.uid ?? '', workDir: spec.workDir, logFile: spec.logFile } };
  }

  async wait(handle: LaunchHandle, signal: AbortSignal, progress?: (now: LaunchProgress) => void): Promise<LaunchStatus> {
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
    const retention = this.opts.retention ?? 'keep-failed';
    if (retention === 'delete' || (retention === 'keep-failed' && succeeded)) await this.kill(handle, 0);
  }

  async kill(handle: LaunchHandle, graceMs: number): Promise<void> {
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
