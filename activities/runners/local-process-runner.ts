import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchDirs, type LaunchHandle, type LaunchSpec, type LaunchStatus, type Runner } from './runner';
import { readTextInside, sealTree } from './safe-fs';
import { recognizeKfpLightweight, type KfpLightweightLaunch } from './kfp-lightweight';
import { spawner, type Spawned } from './spawner';
import { handDirsTo, launchUid, sandboxedCommand, sandboxEnv, type SandboxTools, type StepSandbox, type StepSandboxes } from './step-sandbox';
import type { PythonZygotes } from './zygotes';

/**
 * A tiny `sh` supervisor owns a launch's bookkeeping, because the step must outlive a worker
 * that is killed and the next worker must learn what happened without guessing:
 *
 * 1. before the step can run, the supervisor claims the launch by creating its record
 *    (`launch.json`: its own pid and start time) with `O_EXCL` (`set -C`). Only the supervisor
 *    that created the record runs the step; any other supervisor of the same launch (started
 *    by a retry that did not see a supervisor still on its way to the claim, or by two attempts
 *    racing) exits with `CLAIM_LOST` without running anything. So a step runs at most once
 *    per launch, whatever dies when;
 * 2. after the step, it writes the step's exit code (`exit_code`; an empty file is no code yet)
 *    and, running as a uid of the launch's own, SIGKILLs every other process of that uid
 *    (`kill -9 -1`): what the step left running (a daemon) ends with it, as a pod's processes do.
 *
 * Both are written in place, not renamed into place: a rename costs an `mv` process per file,
 * and readers treat an incomplete record as none (its writer is found by its launch name, or
 * died before the step: then no exit code ever comes and the launch is reported lost).
 *
 * The record is not fsynced: it must survive the worker's death, not the host's, which kills
 * the step too. The step's argv arrives as "$@" — never spliced into the script. Field 22 of
 * `/proc/PID/stat` (the 20th after the parenthesised command name) is the start time.
 */
function supervisorScript(hold: boolean, ownUid: boolean): string {
  return [
    // A function sets the start time rather than printing it: `$(…)` would fork a subshell.
    'read -r s < /proc/$$/stat; s=${s##*) }; ticks() { shift 19; t=$1; }; ticks $s',
    // Tests only: stop in the instant between spawn and claim until the test lets the launch go.
    ...(hold ? [': > "$SLUICE_TEST_HOLD_DIR/$SLUICE_LAUNCH.held"; while [ ! -e "$SLUICE_TEST_HOLD_DIR/$SLUICE_LAUNCH.go" ]; do sleep 0.05; done'] : []),
    `set -C; { printf '{"pid":%s,"startTicks":%s}' "$$" "$t" > "$SLUICE_STATE_FILE"; } 2>/dev/null || exit ${CLAIM_LOST}; set +C`,
    `"$@"; c=$?; printf %s "$c" > "$SLUICE_EXIT_FILE";${ownUid ? ' kill -9 -1 2>/dev/null;' : ''} exit "$c"`,
  ].join('\n');
}
/** A supervisor's exit status when another supervisor claimed its launch first (it ran nothing). */
const CLAIM_LOST = 125;
const STATE_FILE = 'launch.json';
const EXIT_FILE = 'exit_code';
/** Written before spawning: its presence without a record means a supervisor may be on its way to its claim. */
const STARTING_FILE = 'launch.starting';
const POLL_MS = 500;

interface LaunchState {
  pid: number;
  /** Start time in clock ticks (`/proc/PID/stat` field 22): guards against pid reuse. */
  startTicks: number;
}

/**
 * Runs a task's command as a host process (started by the spawn helper, `spawner.ts`) in its own
 * process group, in the launch's working directory, with stdout and stderr appended to the
 * launch log. The image is recorded only.
 *
 * A worker watches hundreds of launches on one event loop, and a blocked loop delays every
 * activity's heartbeat: a file or `/proc` call is synchronous only where it is one small system
 * call (see `sealTree`); what may be large (a removal, a big file, a tree) yields or is asynchronous.
 */
export class LocalProcessRunner implements Runner {
  /** Launches this worker started itself, by name: their end is reported instead of polled. */
  private readonly running = new Map<string, Promise<void>>();
  /** Launches this worker is starting or runs, by name (`start`). */
  private readonly launches = new Map<string, Promise<LaunchHandle>>();

  private readonly supervisor: string;

  /**
   * @param opts.confine the sandboxes steps run in (needs a root worker: see `step-sandbox.ts`);
   *   absent, steps run as the worker's own user, unconfined.
   * @param opts.testHoldDir tests only: every supervisor waits, between spawn and claim, for
   *   `<dir>/<launch>.go` after creating `<dir>/<launch>.held`, so a fault drill can kill a
   *   worker at exactly that instant.
   * @param opts.zygotes warm interpreters for KFP lightweight steps; without them every step starts with `sh`.
   */
  constructor(private readonly opts: { confine?: { sandboxes: StepSandboxes; tools: SandboxTools }; testHoldDir?: string; zygotes?: PythonZygotes } = {}) {
    this.supervisor = supervisorScript(opts.testHoldDir !== undefined, opts.confine?.sandboxes.policy.users.kind === 'per-launch');
  }

  /**
   * One start per launch at a time in this worker: a second start of a launch it is starting or
   * runs (an inline attempt handed over to `runTask`, an attempt run again after its workflow was
   * evicted) gets the same handle. Two starts would hand the launch's directories to the step
   * user twice, and the second hand-over could come after the launch ended and was sealed,
   * leaving its outputs unreadable to the steps downstream.
   */
  start(spec: LaunchSpec): Promise<LaunchHandle> {
    const known = this.launches.get(spec.name);
    if (known) return known;
    const launch = this.startOnce(spec);
    this.launches.set(spec.name, launch);
    const forget = () => {
      if (this.launches.get(spec.name) === launch) this.launches.delete(spec.name);
    };
    // Known until it ends; after that its exit code answers.
    launch.then(() => (this.running.get(spec.name) ?? Promise.resolve()).then(forget), forget);
    return launch;
  }

  private async startOnce(spec: LaunchSpec): Promise<LaunchHandle> {
    // Synchronous calls where each is one small system call (see `sealTree`).
    mkdirSync(spec.workDir, { recursive: true });
    const existing = await existingLaunch(spec);
    if (existing) return handleFor(spec, existing, this.opts.confine && launchUid(spec.workDir));
    const startingMarker = join(spec.workDir, STARTING_FILE);
    writeFileSync(startingMarker, await starterMark());
    try {
      return await this.spawnLaunch(spec);
    } catch (err) {
      // Nothing was started: another worker need not wait for it.
      rmSync(startingMarker, { force: true });
      throw err;
    }
  }

  private async spawnLaunch(spec: LaunchSpec): Promise<LaunchHandle> {
    const confine = this.opts.confine;
    const sandbox = confine && (await confine.sandboxes.acquire(spec.name, spec.workDir));
    if (sandbox) handDirsTo(sandbox, launchDirs(spec), spec.workspaceDir);
    const env = {
      ...spec.env,
      ...(sandbox ? sandboxEnv(sandbox, spec.workDir) : {}),
      SLUICE_LAUNCH: spec.name,
      SLUICE_STATE_FILE: join(spec.workDir, STATE_FILE),
      SLUICE_EXIT_FILE: join(spec.workDir, EXIT_FILE),
      ...(this.opts.testHoldDir !== undefined ? { SLUICE_TEST_HOLD_DIR: this.opts.testHoldDir } : {}),
    };
    const python = installedLightweight(spec);
    // A lightweight component whose requirements are installed skips its pip preamble.
    const argv = python?.withoutPreamble ?? spec.argv;
    const supervised = ['/bin/sh', '-c', this.supervisor, 'sluice-step', ...argv];
    // Made only when no zygote starts it: the tools' sandbox binds account files, which cost disk writes.
    const spawnCommand = async () => (confine && sandbox ? sandboxedCommand(confine.tools, sandbox, await confine.sandboxes.accountFiles(sandbox), supervised) : { file: supervised[0], args: supervised.slice(1) });
    const { pid, ended } = (python && (await this.fromZygote(spec, python, env, sandbox))) ?? (sandbox && (await this.fromLauncher(spec, argv, env, sandbox))) ?? (await spawner.spawn({
      ...(await spawnCommand()),
      cwd: spec.workDir,
      env,
      logFile: spec.logFile,
    }));
    this.running.set(spec.name, ended);
    void ended.then(() => this.running.delete(spec.name));
    return handleFor(spec, { pid, startTicks: (await processStartTicks(pid)) ?? 0 }, sandbox?.uid);
  }

  async attach(spec: LaunchSpec): Promise<LaunchHandle | undefined> {
    const existing = await existingLaunch(spec);
    const owner = existing && existing !== ENDED ? await liveOwner(spec.workDir, existing) : undefined;
    return owner && handleFor(spec, owner, this.opts.confine && launchUid(spec.workDir));
  }

  /**
   * Starts a KFP lightweight step from a warm interpreter, when zygotes are on and one can serve
   * its environment; undefined (after saying why, if it tried) means the `sh` supervisor starts it.
   */
  private async fromZygote(spec: LaunchSpec, python: KfpLightweightLaunch, env: Record<string, string>, sandbox: StepSandbox | undefined): Promise<Spawned | undefined> {
    const zygotes = this.opts.zygotes;
    const lib = spec.requirementsInstalled?.lib;
    if (!zygotes || !python.kfpRuntime || !zygotes.serves(env, lib)) return undefined;
    try {
      return await zygotes.start(lib, {
        ...this.bookkeeping(spec, env, sandbox),
        module: python.module,
        source: python.source,
        executorArgs: python.executorArgs,
        env: { ...env, _KFP_RUNTIME: 'true' },
      });
    } catch (err) {
      // Nothing ran, or a supervisor that did start holds the claim and this one's `sh` loses it.
      zygotes.fellBack(spec.name, err);
      return undefined;
    }
  }

  /** What a zygote's supervisor needs to keep the launch's books as the `sh` supervisor does. */
  private bookkeeping(spec: LaunchSpec, env: Record<string, string>, sandbox: StepSandbox | undefined) {
    return { launch: spec.name, cwd: spec.workDir, env, logFile: spec.logFile, stateFile: env.SLUICE_STATE_FILE, exitFile: env.SLUICE_EXIT_FILE, sandbox, holdDir: this.opts.testHoldDir };
  }

  /**
   * Starts `argv` in its sandbox from the launcher zygote, whose supervisor (system calls instead
   * of `unshare`, `mount` and `setpriv` processes) keeps the launch's books itself, as it does for
   * a lightweight step; undefined (after saying why) means the spawn helper starts the `sh`
   * supervisor with those tools.
   */
  private async fromLauncher(spec: LaunchSpec, argv: string[], env: Record<string, string>, sandbox: StepSandbox): Promise<Spawned | undefined> {
    const zygotes = this.opts.zygotes;
    if (!zygotes) return undefined;
    try {
      return await zygotes.exec({ ...this.bookkeeping(spec, env, sandbox), exec: argv, sandbox });
    } catch (err) {
      zygotes.fellBack(spec.name, err);
      return undefined;
    }
  }

  async wait(handle: LaunchHandle, signal: AbortSignal): Promise<LaunchStatus> {
    const workDir = String(handle.ref.workDir);
    const ended = this.running.get(handle.name);
    if (ended) {
      await endedOrAborted(ended, signal);
      if (signal.aborted) return { status: 'running' };
    }
    let watched: LaunchState = { pid: Number(handle.ref.pid), startTicks: Number(handle.ref.startTicks) };
    while (!signal.aborted) {
      const exitCode = await readExitCode(workDir);
      if (exitCode !== undefined) return { status: 'exited', exitCode };
      if (!(await isAlive(watched.pid, watched.startTicks))) {
        // It lost the claim to another supervisor of this launch, which runs the step.
        const owner = await liveOwner(workDir, watched);
        if (owner) watched = owner;
        else {
          // The supervisor (the winner, when it is not the watched one) may have written the file just before exiting.
          const late = await readExitCode(workDir);
          if (late !== undefined) return { status: 'exited', exitCode: late };
          return { status: 'lost', reason: `process ${watched.pid} of launch ${handle.name} ended without an exit code (killed)` };
        }
      }
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    }
    return { status: 'running' };
  }

  async kill(handle: LaunchHandle, graceMs: number): Promise<void> {
    const owner = await liveOwner(String(handle.ref.workDir), { pid: Number(handle.ref.pid), startTicks: Number(handle.ref.startTicks) });
    if (!owner) return;
    const pid = owner.pid;
    // Descendants are collected first: a step may move children to other process groups.
    const tree = await this.ours(handle, [pid, ...(await descendantsOf(pid))]);
    if (!tree.includes(pid)) return;
    signalAll(pid, tree, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && (await anyAlive(tree))) await sleep(100);
    signalAll(pid, tree, 'SIGKILL');
    // The supervisor that would have ended the step's leftovers is gone: the worker does it.
    if (this.opts.confine) await this.opts.confine.sandboxes.killLeftovers(uidOf(handle));
  }

  /**
   * Once a launch has ended, its launch and output directories become root's and read-only, so
   * no other step can change a finished launch's outputs, and its sandbox (its uid, its `/tmp`)
   * is given back. The run's workspace stays shared, as KFP's workspace volume is.
   */
  async seal(spec: LaunchSpec): Promise<void> {
    const confine = this.opts.confine;
    if (!confine) return;
    const uid = launchUid(spec.workDir);
    const dirs = launchDirs(spec).filter((d) => d !== spec.workspaceDir);
    // Disjoint directories (each in a parent of root's) are sealed at once; one inside another
    // only after it, so that its parent is root's first.
    if (dirs.some((a) => dirs.some((b) => a.startsWith(`${b}/`)))) for (const dir of dirs) await sealTree(dir);
    else await Promise.all(dirs.map((dir) => sealTree(dir)));
    // Sealed before: from a second seal (after a kill, say) the owner is root, which nothing releases.
    if (uid !== undefined && uid !== 0) await confine.sandboxes.release(spec.name, uid);
  }

  /**
   * The pids among `pids` that run as the launch's user: the pid in `launch.json` is the step's
   * to write, so a forged one must not make the worker signal any other process.
   */
  private async ours(handle: LaunchHandle, pids: number[]): Promise<number[]> {
    if (!this.opts.confine) return pids;
    const uid = uidOf(handle);
    // A sealed launch's directory is root's: no uid of a step is left to match.
    if (uid === undefined || uid === 0) return [];
    const owners = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/status`, 'utf8').then((s) => /^Uid:\s+(\d+)/m.exec(s)?.[1], () => undefined)));
    return pids.filter((_, i) => owners[i] === String(uid));
  }
}

/**
 * The launch as a KFP lightweight component whose preamble has nothing left to install (its
 * requirements are met, or it has none); undefined for any other command, which runs as written.
 */
function installedLightweight(spec: LaunchSpec): KfpLightweightLaunch | undefined {
  const python = recognizeKfpLightweight(spec.argv);
  return python && (python.installs.length === 0 || spec.requirementsInstalled) ? python : undefined;
}

/** The state of a launch known only by its exit code: no process to watch or kill. */
const ENDED: LaunchState = { pid: 0, startTicks: 0 };

/** The uid a confined launch runs as: in its handle, or (a handle from before uids were recorded) its directory's owner. */
function uidOf(handle: LaunchHandle): number | undefined {
  return handle.ref.uid !== undefined ? Number(handle.ref.uid) : launchUid(String(handle.ref.workDir));
}

function handleFor(spec: LaunchSpec, state: LaunchState, uid?: number): LaunchHandle {
  return { name: spec.name, ref: { pid: state.pid, startTicks: state.startTicks, workDir: spec.workDir, ...(uid !== undefined ? { uid } : {}) } };
}

function endedOrAborted(ended: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void ended.then(done);
  });
}

/**
 * The launch a supervisor already claimed or is on its way to claim, if any: its complete
 * record; its exit code (the outcome, even without a record); or, when a start was begun
 * (`launch.starting`) but nothing recorded, its supervisor still before its claim (a worker died
 * in between, or another attempt is starting it now), found by its launch name, or awaited while
 * the worker that marked the start lives. Undefined means a new supervisor may be started: should
 * an unseen one still be on its way, the claim lets only one of them run the step.
 */
async function existingLaunch(spec: LaunchSpec): Promise<LaunchState | undefined> {
  const waitUntil = Date.now() + STARTER_WAIT_MS;
  for (;;) {
    const recorded = await readLaunchState(spec.workDir);
    if (recorded) return recorded;
    if ((await readExitCode(spec.workDir)) !== undefined) return ENDED;
    const starter = await readTextInside(spec.workDir, join(spec.workDir, STARTING_FILE)).catch(() => undefined);
    if (starter === undefined) return undefined;
    const found = await findProcessByLaunchName(spec.name);
    // Another worker still starting it: its supervisor may not show its launch name yet (one
    // forked by a warm interpreter never does), so its record is awaited, not raced.
    if (found || Date.now() > waitUntil || !(await isOtherLiveStarter(starter))) return found;
    await sleep(STARTER_POLL_MS);
  }
}

/** How long a start waits for another live worker's start of the same launch to be recorded. */
const STARTER_WAIT_MS = 60_000;
const STARTER_POLL_MS = 100;

/** What a worker writes in `launch.starting`: its pid and start time. */
async function starterMark(): Promise<string> {
  ownStartTicks ??= processStartTicks(process.pid).then((t) => t ?? 0);
  return `${process.pid} ${await ownStartTicks}`;
}
let ownStartTicks: Promise<number> | undefined;

/**
 * Whether `mark` (from `starterMark`) names a live process other than this one. This worker's
 * own starts are known to its runner (`start`); its mark on a launch it does not know is left
 * from a runner before, as is one without a mark (written before marks were).
 */
async function isOtherLiveStarter(mark: string): Promise<boolean> {
  const [pid, startTicks] = mark.split(' ').map(Number);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && Number.isInteger(startTicks) && (await isAlive(pid, startTicks));
}

/**
 * The live supervisor of a launch: `watched` while it lives, else the one whose claim is
 * recorded (`watched` may have lost the claim to it); undefined when neither lives.
 */
async function liveOwner(workDir: string, watched: LaunchState): Promise<LaunchState | undefined> {
  if (await isAlive(watched.pid, watched.startTicks)) return watched;
  const recorded = await readLaunchState(workDir);
  return recorded && recorded.pid !== watched.pid && (await isAlive(recorded.pid, recorded.startTicks)) ? recorded : undefined;
}

/** Undefined when absent or incomplete (its supervisor is still writing it, or died doing so before the step). */
async function readLaunchState(workDir: string): Promise<LaunchState | undefined> {
  const text = await readTextInside(workDir, join(workDir, STATE_FILE)).catch(() => undefined);
  try {
    const state = text === undefined ? undefined : (JSON.parse(text) as Partial<LaunchState>);
    return typeof state?.pid === 'number' && typeof state.startTicks === 'number' ? { pid: state.pid, startTicks: state.startTicks } : undefined;
  } catch {
    return undefined;
  }
}

async function readExitCode(workDir: string): Promise<number | undefined> {
  const text = await readTextInside(workDir, join(workDir, EXIT_FILE)).catch(() => undefined);
  const code = text === undefined ? Number.NaN : Number.parseInt(text, 10);
  return Number.isNaN(code) ? undefined : code;
}

/**
 * `/proc/PID/stat` fields after the parenthesised command name (which may contain spaces). Read
 * synchronously: a launch's status is polled with it, and a read of `/proc` is one short system
 * call each for open, read and close (see `sealTree`).
 */
async function statFields(pid: number): Promise<string[] | undefined> {
  if (!(pid > 0)) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

async function processStartTicks(pid: number): Promise<number | undefined> {
  const fields = await statFields(pid);
  return fields ? Number(fields[19]) : undefined;
}

/** Alive and not a zombie; with `startTicks`, also the same process (not a reused pid). */
async function isAlive(pid: number, startTicks?: number): Promise<boolean> {
  const fields = await statFields(pid);
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return false;
  return !startTicks || Number(fields[19]) === startTicks;
}

async function anyAlive(pids: number[]): Promise<boolean> {
  return (await Promise.all(pids.map((pid) => isAlive(pid)))).some(Boolean);
}

async function listPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
}

async function descendantsOf(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const pid of await listPids()) {
    const ppid = Number((await statFields(pid))?.[1]);
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
 * Finds the supervisor started for `launchName` by a worker that crashed before the supervisor
 * recorded itself (the launch name is in its environment; it leads its own process group).
 */
async function findProcessByLaunchName(launchName: string): Promise<LaunchState | undefined> {
  const marker = `SLUICE_LAUNCH=${launchName}\0`;
  for (const pid of await listPids()) {
    try {
      const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
      if (environ.includes(marker) && (await statFields(pid))?.[2] === String(pid)) {
        return { pid, startTicks: (await processStartTicks(pid)) ?? 0 };
      }
    } catch {
      // Not ours to read, or gone.
    }
  }
  return undefined;
}
