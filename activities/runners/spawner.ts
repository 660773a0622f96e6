import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config/config';

/** What the worker asks the spawn helper to start. */
export interface SpawnRequest {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /** Receives stdout and stderr, appended. */
  logFile: string;
}

export type SpawnReply =
  | { id: number; pid: number }
  | { id: number; error: string }
  | { id: number; exited: { code: number | null; signal: string | null } };

export interface Spawned {
  pid: number;
  /**
   * Resolves when the process exits, or when the helper that watched it is gone (then only
   * polling can tell): either way the caller checks the launch's own record.
   */
  ended: Promise<void>;
}

const HELPER_JS = join(PROJECT_ROOT, 'dist', 'activities', 'runners', 'spawn-helper.js');

interface Pending {
  started?: { resolve: (pid: number) => void; reject: (err: Error) => void };
  ended: () => void;
}

/**
 * Starts processes through one long-lived spawn helper per worker process (`spawn-helper.ts`),
 * so that forking a step never blocks the worker's event loop. The helper is started on first
 * use and again after it dies; what it was doing when it died is left to the launch's own
 * bookkeeping (the supervisor's record), exactly as after a worker crash.
 */
export class Spawner {
  private helper: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests still waiting for their pid: only these keep the worker process alive. */
  private starting = 0;

  spawn(req: Omit<SpawnRequest, 'id'>): Promise<Spawned> {
    const helper = this.helper ?? this.startHelper();
    const id = this.nextId++;
    let ended!: () => void;
    const endedPromise = new Promise<void>((resolve) => (ended = resolve));
    if (this.starting++ === 0) helper.channel?.ref();
    return new Promise<Spawned>((resolve, reject) => {
      this.pending.set(id, { started: { resolve: (pid) => resolve({ pid, ended: endedPromise }), reject }, ended });
      helper.send({ ...req, id } satisfies SpawnRequest, (err) => {
        if (err) this.settle(id, { id, error: `spawn helper unreachable: ${err.message}` });
      });
    });
  }

  private startHelper(): ChildProcess {
    if (!existsSync(HELPER_JS)) throw new Error(`${HELPER_JS} is missing: run \`npm run setup\` to build Sluice`);
    const helper = fork(HELPER_JS, [], {
      // Its own small heap; the steps' environment comes with each request, not from here.
      execArgv: ['--max-old-space-size=64'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    helper.on('message', (msg: SpawnReply) => this.settle(msg.id, msg));
    helper.once('exit', () => {
      if (this.helper === helper) this.helper = undefined;
      for (const id of [...this.pending.keys()]) this.settle(id, { id, error: 'the spawn helper exited' });
    });
    helper.once('error', () => undefined);
    // Neither the helper nor its channel keeps the worker alive; the helper exits with the worker.
    helper.unref();
    helper.channel?.unref();
    this.helper = helper;
    return helper;
  }

  private settle(id: number, msg: SpawnReply): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (p.started) {
      if ('pid' in msg) p.started.resolve(msg.pid);
      else p.started.reject(new Error('error' in msg ? msg.error : 'the process ended before it was started'));
      p.started = undefined;
      if (--this.starting === 0) this.helper?.channel?.unref();
    }
    if ('pid' in msg) return;
    this.pending.delete(id);
    p.ended();
  }
}

/** The worker process's one spawner: one helper serves every runner in the process. */
export const spawner = new Spawner();
