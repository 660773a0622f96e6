import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, Log, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { LaunchHandle, LaunchSpec, LaunchStatus, Runner } from '../runner';
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
    const pod = await this.core.createNamespacedPod({ namespace, body }).catch((err: unknown) => {
      if (statusOf(err) === 409) return this.core.readNamespacedPod({ name: spec.name, namespace });
      throw err;
    });
    return { name: spec.name, ref: { namespace, uid: pod.metadata?.uid ?? '', workDir: spec.workDir, logFile: spec.logFile } };
  }

  async wait(handle: LaunchHandle, signal: AbortSignal): Promise<LaunchStatus> {
    const logs = new LogFollower(this.kc, handle);
    try {
      let pod = await this.read(handle);
      while (pod && !signal.aborted) {
        const outcome = classifyPod(pod, new Date(), { unschedulableTimeoutMs: this.unschedulableTimeoutMs });
        if (outcome.kind !== 'running' || pod.status?.phase === 'Running') logs.start();
        if (outcome.kind !== 'running') {
          await logs.finish();
          return statusOf_(outcome);
        }
        pod = await this.nextState(handle, pod, signal);
      }
      if (signal.aborted) return { status: 'running' };
      return { status: 'lost', reason: `pod ${handle.name} was deleted before it finished` };
    } finally {
      logs.stop();
    }
  }

  async kill(handle: LaunchHandle, graceMs: number): Promise<void> {
    const { name, namespace } = this.where(handle);
    const remove = (gracePeriodSeconds: number) =>
      this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds }).catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
    await remove(Math.ceil(graceMs / 1000));
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!(await this.read(handle))) return;
      await sleep(200);
    }
    await remove(0);
  }

  /** The pod, or undefined once it is gone (or replaced by another of the same name). */
  private async read(handle: LaunchHandle): Promise<V1Pod | undefined> {
    const { name, namespace, uid } = this.where(handle);
    const pod = await this.core.readNamespacedPod({ name, namespace }).catch((err: unknown) => {
      if (statusOf(err) === 404) return undefined;
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

function statusOf_(outcome: Exclude<PodOutcome, { kind: 'running' }>): LaunchStatus {
  if (outcome.kind === 'exited') return { status: 'exited', exitCode: outcome.exitCode };
  return { status: 'failed', reason: outcome.reason, message: outcome.message, retryable: outcome.retryable, exitCode: outcome.exitCode, timedOut: outcome.timedOut };
}

/** The HTTP status of a Kubernetes API error, when it is one. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Copies the pod's log into the launch's log file while it runs: lines arrive with timestamps,
 * each line's timestamp is kept in a cursor file, and a follower that starts again (a new
 * attempt, a new worker) asks for lines since the cursor and skips those it already has.
 */
class LogFollower {
  private running: Promise<void> | undefined;
  private controller: AbortController | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly handle: LaunchHandle,
  ) {}

  start(): void {
    this.running ??= this.follow().catch(() => undefined);
  }

  /** Waits for the stream to end (the container has ended), at most a few seconds. */
  async finish(): Promise<void> {
    if (!this.running) this.start();
    await Promise.race([this.running, sleep(5_000)]);
  }

  stop(): void {
    this.controller?.abort();
  }

  private async follow(): Promise<void> {
    const workDir = String(this.handle.ref.workDir);
    const logFile = String(this.handle.ref.logFile);
    const cursorFile = join(workDir, LOG_CURSOR);
    let cursor = (await readFile(cursorFile, 'utf8').catch(() => '')).trim();
    let partial = '';
    const copy = async (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      let out = '';
      for (const line of lines) {
        const space = line.indexOf(' ');
        const stamp = space > 0 ? normalizeStamp(line.slice(0, space)) : '';
        if (stamp && cursor && stamp <= cursor) continue;
        out += `${space > 0 ? line.slice(space + 1) : line}\n`;
        if (stamp) cursor = stamp;
      }
      if (out) {
        await appendFile(logFile, out);
        await writeFile(cursorFile, cursor);
      }
    };
    let writes = Promise.resolve();
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes = writes.then(() => copy(chunk.toString('utf8')));
        writes.then(() => callback(), callback);
      },
      final(callback) {
        writes.then(() => (partial ? copy('\n') : undefined)).then(() => callback(), callback);
      },
    });
    sink.on('finish', () => ended());
    sink.on('error', () => ended());
    const { name, namespace } = { name: this.handle.name, namespace: String(this.handle.ref.namespace) };
    this.controller = await new Log(this.kc).log(namespace, name, MAIN_CONTAINER, sink, {
      follow: true,
      timestamps: true,
      ...(cursor ? { sinceTime: cursor.slice(0, 19) + 'Z' } : {}),
    });
    await done;
  }
}

/** RFC 3339 timestamps with nine fractional digits, so that they compare as strings. */
function normalizeStamp(stamp: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : '';
}
