import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchHandle, LaunchSpec, LaunchStatus, Runner } from './runner';

/**
 * The exit-code file is written by a tiny `sh` supervisor rather than by the worker, because the
 * step must outlive a worker that is killed: a new worker later reads the file to learn how the
 * step ended. The step's argv arrives as "$@" — never spliced into the script.
 */
const SUPERVISOR = '"$@"; c=$?; printf %s "$c" > "$SLUICE_EXIT_FILE.tmp" && mv "$SLUICE_EXIT_FILE.tmp" "$SLUICE_EXIT_FILE"; exit "$c"';
const STATE_FILE = 'launch.json';
const EXIT_FILE = 'exit_code';
/** Written before spawning: its presence without a state file means a worker died mid-start. */
const STARTING_FILE = 'launch.starting';
const POLL_MS = 500;

interface LaunchState {
  pid: number;
  /** Start time in clock ticks (`/proc/PID/stat` field 22): guards against pid reuse. */
  startTicks: number;
}

/**
 * Runs a task's command as a host process in its own process group, in the launch's working
 * directory, with stdout and stderr appended to the launch log. The image is recorded only.
 */
export class LocalProcessRunner implements Runner {
  /** Children this worker started itself: their exit is observed directly instead of polled. */
  private readonly children = new Map<string, ChildProcess>();

  /** @param opts.runAs the user steps run as (needs a root worker); the worker's own user when absent. */
  constructor(private readonly opts: { runAs?: { uid: number; gid: number } } = {}) {}

  async start(spec: LaunchSpec): Promise<LaunchHandle> {
    mkdirSync(spec.workDir, { recursive: true });
    const existing = readLaunchState(spec.workDir);
    if (existing) return handleFor(spec, existing);
    const startingMarker = join(spec.workDir, STARTING_FILE);
    if (existsSync(startingMarker)) {
      const adopted = findProcessByLaunchName(spec.name);
      if (adopted) {
        writeLaunchState(spec.workDir, adopted);
        return handleFor(spec, adopted);
      }
    }
    writeFileSync(startingMarker, '');
    const runAs = this.opts.runAs;
    if (runAs) for (const dir of [spec.workDir, ...spec.writableDirs]) chownSync(dir, runAs.uid, runAs.gid);
    const log = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', SUPERVISOR, 'sluice-step', ...spec.argv], {
        cwd: spec.workDir,
        // Another user's HOME is out of reach; the launch directory serves instead.
        env: { ...spec.env, ...(runAs ? { HOME: spec.workDir } : {}), SLUICE_LAUNCH: spec.name, SLUICE_EXIT_FILE: join(spec.workDir, EXIT_FILE) },
        ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
        // Its own process group, so the whole tree can be signalled, and so it survives the worker.
        detached: true,
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    const pid = await spawned(child);
    const state = { pid, startTicks: processStartTicks(pid) ?? 0 };
    writeLaunchState(spec.workDir, state);
    this.children.set(spec.name, child);
    child.once('exit', () => this.children.delete(spec.name));
    child.unref();
    return handleFor(spec, state);
  }

  async wait(handle: LaunchHandle, signal: AbortSignal): Promise<LaunchStatus> {
    const workDir = String(handle.ref.workDir);
    const child = this.children.get(handle.name);
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          child.off('exit', done);
          resolve();
        };
        child.once('exit', done);
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) return { status: 'running' };
    }
    while (!signal.aborted) {
      const exitCode = readExitCode(workDir);
      if (exitCode !== undefined) return { status: 'exited', exitCode };
      if (!isAlive(Number(handle.ref.pid), Number(handle.ref.startTicks))) {
        // The supervisor may have written the file just before exiting.
        const late = readExitCode(workDir);
        if (late !== undefined) return { status: 'exited', exitCode: late };
        return { status: 'lost', reason: `process ${handle.ref.pid} of launch ${handle.name} ended without an exit code (killed)` };
      }
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    }
    return { status: 'running' };
  }

  async kill(handle: LaunchHandle, graceMs: number): Promise<void> {
    const pid = Number(handle.ref.pid);
    if (!isAlive(pid, Number(handle.ref.startTicks))) return;
    // Descendants are collected first: a step may move children to other process groups.
    const tree = [pid, ...descendantsOf(pid)];
    signalAll(pid, tree, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && tree.some((p) => isAlive(p))) await sleep(100);
    signalAll(pid, tree, 'SIGKILL');
  }
}

function handleFor(spec: LaunchSpec, state: LaunchState): LaunchHandle {
  return { name: spec.name, ref: { pid: state.pid, startTicks: state.startTicks, workDir: spec.workDir } };
}

function spawned(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid as number));
  });
}

function readLaunchState(workDir: string): LaunchState | undefined {
  const file = join(workDir, STATE_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LaunchState) : undefined;
}

function writeLaunchState(workDir: string, state: LaunchState): void {
  writeFileSync(join(workDir, STATE_FILE), JSON.stringify(state));
}

function readExitCode(workDir: string): number | undefined {
  const file = join(workDir, EXIT_FILE);
  if (!existsSync(file)) return undefined;
  const code = Number.parseInt(readFileSync(file, 'utf8'), 10);
  return Number.isNaN(code) ? undefined : code;
}

/** `/proc/PID/stat` fields after the parenthesised command name (which may contain spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function processStartTicks(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? Number(fields[19]) : undefined;
}

/** Alive and not a zombie; with `startTicks`, also the same process (not a reused pid). */
function isAlive(pid: number, startTicks?: number): boolean {
  const fields = statFields(pid);
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return false;
  return !startTicks || Number(fields[19]) === startTicks;
}

function listPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of listPids()) {
    const ppid = Number(statFields(pid)?.[1]);
    if (!Number.isNaN(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function signalAll(groupLeader: number, pids: number[], signal: NodeJS.Signals): void {
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch {
      // Already gone: nothing to stop.
    }
  };
  attempt(() => process.kill(-groupLeader, signal));
  for (const pid of pids) attempt(() => process.kill(pid, signal));
}

/**
 * Finds a process started for `launchName` by a worker that crashed before it recorded the pid
 * (the launch name is in the step's environment).
 */
function findProcessByLaunchName(launchName: string): LaunchState | undefined {
  const marker = `SLUICE_LAUNCH=${launchName}\0`;
  for (const pid of listPids()) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (environ.includes(marker) && statFields(pid)?.[2] === String(pid)) {
        return { pid, startTicks: processStartTicks(pid) ?? 0 };
      }
    } catch {
      // Not ours to read, or gone.
    }
  }
  return undefined;
}
