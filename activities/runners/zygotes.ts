import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config/config';
import type { Spawned, SpawnReply } from './spawner';
import type { StepSandbox } from './step-sandbox';

/** What every request to a zygote carries: the launch and its bookkeeping. */
interface ZygoteRequest {
  /** The launch's name (the test hold files are named after it). */
  launch: string;
  cwd: string;
  /** Exactly the step's environment. */
  env: Record<string, string>;
  logFile: string;
  /** The supervisor's claim (`launch.json`) and the step's outcome (`exit_code`), as the `sh` supervisor writes them. */
  stateFile: string;
  exitFile: string;
  /** How the step is confined (`step-sandbox.ts`); absent, it runs as the worker's own user. */
  sandbox?: StepSandbox;
  /** Tests only: wait between spawn and claim, as `LocalProcessRunner`'s `testHoldDir` says. */
  holdDir?: string;
}

/** One lightweight step for a zygote: what `sh -ec <program>` would have run. */
export interface ZygoteLaunch extends ZygoteRequest {
  /** The executor module `python3 -m` would run. */
  module: string;
  source: string;
  executorArgs: string[];
}

/** Any command for the launcher zygote: `exec` (argv, program first) as the `sh` supervisor's `"$@"` would run it, in `sandbox`. */
export interface ZygoteExec extends ZygoteRequest {
  exec: string[];
  sandbox: StepSandbox;
}

const ZYGOTE_PY = join(PROJECT_ROOT, 'activities', 'runners', 'python', 'zygote.py');
/** What `kfp.dsl.executor_main` imports before it reads its arguments: the ~0.5 s a cold step spends. */
const PRELOAD = ['kfp', 'kfp.dsl', 'kfp.dsl.executor', 'kfp.dsl.kfp_config', 'kfp.dsl.utils', 'argparse', 'logging'];
/** A zygote that has not answered a start in this long is taken for hung: stopped, and the launch falls back to `sh`. */
const START_TIMEOUT_MS = 30_000;

/**
 * Variables a Python interpreter reads as it starts (or a dynamic loader before it): a zygote's
 * are fixed when it starts, so it serves only launches whose values are the same.
 */
export function interpreterVariables(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => /^(PYTHON|LD_|LC_)|^LANG$/.test(name)).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Zygotes of this process, by interpreter and environment, least recently used first: shared by
 * every `PythonZygotes` in the process (several workers of one process, as tests start, run the
 * same runtime), so `max` bounds the process, as one spawn helper serves it.
 */
const running = new Map<string, Zygote>();

/**
 * Warm Python interpreters for KFP lightweight steps: one zygote (`python/zygote.py`) per Python
 * environment, started on first use with the steps' runtime, kfp already imported, and kept for
 * the next step of that environment; at most `max` in the process, the least recently used
 * stopped first (its running steps go on: a supervisor is nobody's child but the zygote's
 * template's, which reaps it, and outlives both).
 *
 * A zygote runs as the worker's user (root under a root worker) and imports only the runtime and
 * a sealed environment, which are root's and read-only to steps; each step's supervisor drops to
 * the step's user before any step code runs. It reads its requests from a pipe, so it exits with
 * the worker; the steps it started outlive both, as the spawn helper's do.
 */
export class PythonZygotes {
  /** The keys (in `running`) of the zygotes this instance used. */
  private readonly used = new Set<string>();

  /**
   * @param opts.python the steps' runtime's `bin/python3`
   * @param opts.env the steps' base environment (`buildStepEnv`), which every zygote starts with
   * @param opts.max zygotes kept at most
   * @param opts.warn told why a launch fell back to `sh`
   */
  constructor(private readonly opts: { python: string; env: Record<string, string>; max: number; warn: (message: string) => void }) {}

  /**
   * Whether a launch with environment `env` can start from the zygote of `lib` (the sealed
   * environment first on its PYTHONPATH, if any): the interpreter variables must be the zygote's.
   * A PYTHONPATH of the step's own never reaches the root zygote.
   */
  serves(env: Record<string, string>, lib: string | undefined): boolean {
    return JSON.stringify(interpreterVariables(env)) === JSON.stringify(interpreterVariables(this.envOf(lib)));
  }

  /** Starts `launch` from the zygote of `lib`, starting that zygote first if need be. Rejects when it cannot (the caller falls back). */
  start(lib: string | undefined, launch: ZygoteLaunch): Promise<Spawned> {
    return this.zygote(this.envOf(lib), PRELOAD).start(launch);
  }

  /** The live zygote of `env` that imported `preload`, started now if need be, the least recently used past `max` stopped. */
  private zygote(env: Record<string, string>, preload: string[]): Zygote {
    const key = JSON.stringify([this.opts.python, env, preload]);
    let zygote = running.get(key);
    if (zygote && !zygote.alive) zygote = undefined;
    // Most recently used last: the first entry is the one to stop.
    running.delete(key);
    zygote ??= new Zygote(this.opts.python, env, preload);
    running.set(key, zygote);
    this.used.add(key);
    for (const [oldKey, old] of running) {
      if (running.size <= this.opts.max) break;
      running.delete(oldKey);
      old.stop();
    }
    return zygote;
  }

  /**
   * Starts any command in `launch.sandbox` from a zygote that imports nothing (the launcher): its
   * supervisor makes the sandbox with system calls, drops to the step's uid, claims the launch and
   * runs `launch.exec`, where the same sandbox made with `unshare`, `mount` and `setpriv` costs
   * some 12 ms of processes, and the `sh` supervisor another exec and fork. Rejects when it
   * cannot (the caller falls back).
   */
  exec(launch: ZygoteExec): Promise<Spawned> {
    return this.zygote(this.envOf(undefined), []).start(launch);
  }

  /** Says why launch `name` is started by `sh` after all. */
  fellBack(name: string, err: unknown): void {
    this.opts.warn(`launch ${name}: the warm Python interpreter could not start it (${(err as Error).message}); starting it with sh`);
  }

  /** Stops the zygotes this instance used (steps they started go on). */
  close(): void {
    for (const key of this.used) {
      running.get(key)?.stop();
      running.delete(key);
    }
    this.used.clear();
  }

  private envOf(lib: string | undefined): Record<string, string> {
    return { ...this.opts.env, ...(lib ? { PYTHONPATH: lib } : {}) };
  }
}

interface Pending {
  started?: { resolve: (pid: number) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };
  ended: () => void;
}

/** One zygote process and the requests it has not finished answering. */
class Zygote {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Requests still waiting for their pid: only these keep the worker process alive. */
  private starting = 0;
  /** The end of what it wrote on stderr: why it died, when it does. */
  private stderr = '';
  alive = true;

  constructor(python: string, env: Record<string, string>, preload: string[]) {
    // -s: root's own user site is no step's business; the step gets its user's (zygote.py). -S:
    // the launcher imports nothing, not even what the site-packages' `.pth` files import, for
    // each module it holds makes its every fork dearer (~0.5 ms of CPU a launch with `site`).
    const flags = preload.length ? ['-s'] : ['-s', '-S'];
    this.child = spawn(python, [...flags, ZYGOTE_PY, JSON.stringify(preload)], { cwd: '/', env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.once('error', (err) => this.gone(`it could not be started: ${err.message}`));
    // 'close', not 'exit': every reply it wrote has been read by then.
    this.child.once('close', (code, signal) => this.gone(`it exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
    this.child.stdin.on('error', () => undefined);
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.settle(JSON.parse(line) as SpawnReply | { ready: true }));
    this.unref();
  }

  start(launch: ZygoteLaunch | ZygoteExec): Promise<Spawned> {
    const id = this.nextId++;
    let ended!: () => void;
    const endedPromise = new Promise<void>((resolve) => (ended = resolve));
    if (this.starting++ === 0) this.ref();
    return new Promise<Spawned>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle({ id, error: `no answer in ${START_TIMEOUT_MS / 1000} s` });
        this.stop('SIGKILL');
      }, START_TIMEOUT_MS);
      this.pending.set(id, { started: { resolve: (pid) => resolve({ pid, ended: endedPromise }), reject, timer }, ended });
      this.child.stdin.write(`${JSON.stringify({ ...launch, id })}\n`);
    });
  }

  /** Closing its pipe ends the zygote; with a signal, at once. */
  stop(signal?: NodeJS.Signals): void {
    this.alive = false;
    this.child.stdin.end();
    if (signal) this.child.kill(signal);
  }

  private settle(msg: SpawnReply | { ready: true }): void {
    if (!('id' in msg)) return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (p.started) {
      clearTimeout(p.started.timer);
      if ('pid' in msg) p.started.resolve(msg.pid);
      else p.started.reject(new Error('error' in msg ? msg.error : 'the step ended before it was started'));
      p.started = undefined;
      if (--this.starting === 0) this.unref();
    }
    if ('pid' in msg) return;
    this.pending.delete(msg.id);
    p.ended();
  }

  /**
   * The zygote is gone: launches not yet started fail (and fall back); started ones are left to
   * their own record, exactly as after a worker crash.
   */
  private gone(why: string): void {
    this.alive = false;
    for (const id of [...this.pending.keys()]) this.settle({ id, error: `the warm Python interpreter is gone: ${why}` });
  }

  // Neither the zygote nor its pipes keep the worker alive, except while a start is awaited.
  private ref(): void {
    this.child.ref();
    asSocket(this.child.stdout).ref();
  }

  private unref(): void {
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) asSocket(stream).unref();
  }
}

/** A child's pipes are sockets (Node types them as plain streams). */
function asSocket(stream: unknown): Socket {
  return stream as Socket;
}
