import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, closeSync, constants, ftruncateSync, lchownSync, linkSync, lstatSync, mkdirSync, opendirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How one local step is confined, applied by root between spawn and the step's first
 * instruction: its own mount namespace with a private `/tmp` and `/var/tmp` and a passwd/group that name its
 * uid, its own network namespace (only loopback) unless the host's network is allowed, then its
 * own uid and the steps' group, no supplementary groups, no capabilities, no new privileges.
 */
export interface StepSandbox {
  uid: number;
  gid: number;
  isolateNetwork: boolean;
  /**
   * The step's own temporary directory, emptied when the launch is released: bind-mounted on
   * `/tmp` as `privateTmp` says, else only named by `TMPDIR`.
   */
  tmpDir: string;
  privateTmp?: TmpMounts;
  /** A tmpfs of the launch's own on `/dev/shm` (as a pod has): what a step shares there stays its own, and ends with it. */
  privateShm: boolean;
  /** `uid` is this launch's alone: its supervisor may end every process of it when the step ends. */
  ownUid: boolean;
  /** What the step sees as `/etc/passwd` and `/etc/group`: the host's, plus its uid and the steps' group. */
  accounts: Accounts;
  /**
   * An empty directory of root's on which a zygote's supervisor mounts a small tmpfs, in the
   * launch's own mount namespace, to hold `accounts` for their bind mounts: a launch's accounts
   * cost no file on disk (the tools' sandbox binds files, `accountFiles`).
   */
  accountsMount: string;
}

export interface Accounts {
  passwd: string;
  group: string;
}

/** Who steps run as: a uid of their own per launch (the default under root), or one named user for all. */
export type StepUsers = { kind: 'per-launch'; first: number; count: number } | { kind: 'fixed'; uid: number };

export interface SandboxPolicy {
  /** Root's own directory for claims, the steps' temporary directories and per-launch files (mode 0700). */
  root: string;
  users: StepUsers;
  /** The group every step runs in: it shares the run's workspace, nothing else. */
  gid: number;
  isolateNetwork: boolean;
  /** How `/tmp` and `/var/tmp` are covered; absent, they stay the host's (no directory to hold them meanwhile was found). */
  privateTmp?: PrivateTmp;
  /** Whether each step gets a `/dev/shm` of its own (the host has one, and none of Sluice's directories lies under it). */
  privateShm: boolean;
}

/**
 * Which of the host's temporary directories (`/tmp` first, then `/var/tmp` where it is a
 * directory of its own) a step gets its own of, and Sluice's own directories under each (the
 * data dir, the artifact root, the runtime) that it must still reach (`keep`).
 */
export interface PrivateTmp {
  stash: string;
  dirs: { path: string; keep: string[] }[];
}

/**
 * How one launch's own directories become its temporary directories: `source` is mounted on
 * `target`, and each of `keep` (a path under the host's `target`) is bound back at its own path.
 * The tools' sandbox holds the host's `target` at `stash` (an existing directory outside it,
 * covered only meanwhile) for that, and unmounts it after; a zygote's supervisor opens every
 * directory before covering any and binds from the descriptors (`python/zygote.py`).
 */
export interface TmpMounts {
  stash: string;
  mounts: { target: string; source: string; keep: string[] }[];
}

/** The group's name in a step's `/etc/group`, and its user's in `/etc/passwd`. */
const GROUP_NAME = 'sluice-steps';
const USER_NAME = 'sluice-step';

/**
 * Hands out sandboxes. Per-launch uids are claimed by an `O_EXCL` file per uid (so concurrent
 * workers on one data dir never hand out one uid twice), starting at a slot derived from the
 * launch name, and given back only after the launch has ended and its directories are sealed:
 * a uid is never shared by two live launches, so steps cannot write, signal or trace each other.
 */
export class StepSandboxes {
  /** Per uid, the account files this worker wrote for the tools' sandbox (`accountFiles`). */
  private readonly accountFilesOf = new Map<number, Promise<{ passwdFile: string; groupFile: string }>>();
  /** The host's passwd and group, read at this worker's first launch; and the claim and account directories, made then. */
  private hostAccounts?: Promise<Accounts>;
  private dirsMade?: Promise<unknown>;
  /** Uids whose released claim file waits in `uid-spares` for a later claim (another worker may take it first). */
  private readonly spareClaims: number[] = [];

  constructor(readonly policy: SandboxPolicy) {}

  /** @param workDir the launch's directory (it must exist): made its uid's at the claim, and holds its temporary directory when `/tmp` stays the host's. */
  async acquire(launchName: string, workDir: string): Promise<StepSandbox> {
    // Synchronous calls where each is one small system call (see `sealTree`). A retried start
    // finds its launch's directories as the start before it left them and keeps them: that
    // start's supervisor may still be on its way to the claim in a sandbox made of them, and
    // may win it (no step ran in them yet; removing them left the winner's /tmp a deleted
    // directory, and Python's `tempfile` wrote the step's source to the host's /var/tmp).
    const { uid, again, handedOn } = await this.claimUid(launchName, workDir);
    const policy = this.policy.privateTmp;
    // `/tmp` on `tmp`, `/var/tmp` on `var-tmp`.
    const privateTmp = policy && { stash: policy.stash, mounts: this.tmpMounts(launchName, uid) };
    if (privateTmp) {
      for (const mount of privateTmp.mounts) {
        const { source } = mount;
        // What a launch of this uid left is not the next one's. A uid handed on by its release
        // was checked then (its claim file became a spare after); another is checked now (its
        // claim removed by hand, say, after its worker was killed).
        if (!again && !handedOn) this.discardTouched(mount);
        // Root's and sticky, as the host's /tmp: a step cannot change the directory itself, so one it left empty is as new.
        if (mkdirSync(source, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(source, 0o1777);
      }
    }
    const tmpDir = privateTmp ? privateTmp.mounts[0].source : join(workDir, 'tmp');
    if (!privateTmp) {
      mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
      lchownSync(tmpDir, uid, this.policy.gid);
    }
    const accounts = await this.accountsOf(uid);
    const ownUid = this.policy.users.kind === 'per-launch';
    return { uid, gid: this.policy.gid, isolateNetwork: this.policy.isolateNetwork, tmpDir, ...(privateTmp ? { privateTmp } : {}), privateShm: this.policy.privateShm, ownUid, accounts, accountsMount: join(this.policy.root, 'accounts-mount') };
  }

  /**
   * The directories a launch's `/tmp` and `/var/tmp` are bound from. A uid of the launch's own
   * keeps its pair from launch to launch: a step that left them as they were (most never write
   * there) hands them on, and one that wrote there has them moved aside and made anew
   * (`discardTouched`). A directory made and removed per launch cost every later file's
   * creation on an ext4 without a journal, which skips each inode freed in the last minutes. A
   * uid that steps share gets a pair per launch.
   */
  private tmpMounts(launchName: string, uid: number): TmpMounts['mounts'] {
    const home = this.policy.users.kind === 'per-launch' ? join(this.policy.root, 'uid-tmp', String(uid)) : this.launchDir(launchName);
    return (this.policy.privateTmp?.dirs ?? []).map(({ path, keep }) => ({ target: path, source: join(home, path.slice(1).replaceAll('/', '-')), keep }));
  }

  /**
   * Moves a uid's mount source to the trash (removed in the background) unless a step left it
   * untouched. A shared uid's pair is the launch's own: it goes with the launch's directory.
   */
  private discardTouched({ target, source, keep }: TmpMounts['mounts'][number]): void {
    if (this.policy.users.kind !== 'per-launch' || untouched(source, keep.map((path) => relative(target, path).split(sep)), true)) return;
    const aside = join(this.policy.root, 'trash', `${basename(dirname(source))}-${basename(source)}.${randomUUID()}`);
    if (moveAside(source, aside)) void removeQuietly(aside);
  }

  /** The passwd and group a step of `uid` sees: the host's (as this worker read them at its first launch) with the uid and the steps' group added. */
  private async accountsOf(uid: number): Promise<Accounts> {
    await this.madeDirs();
    this.hostAccounts ??= Promise.all([readFile('/etc/passwd', 'utf8').catch(() => ''), readFile('/etc/group', 'utf8').catch(() => '')]).then(([passwd, group]) => ({ passwd, group }));
    const { passwd, group } = await this.hostAccounts;
    return {
      passwd: `${withNewline(passwd)}${USER_NAME}:x:${uid}:${this.policy.gid}:Sluice step:/tmp:/usr/sbin/nologin\n`,
      group: `${withNewline(group)}${GROUP_NAME}:x:${this.policy.gid}:\n`,
    };
  }

  /**
   * `sandbox.accounts` as files, for the tools' sandbox (`sandboxedCommand`), which binds files
   * of the disk: written once per uid and worker, each aside and renamed (a launch of another
   * worker may be mounting the file right now).
   */
  accountFiles(sandbox: StepSandbox): Promise<{ passwdFile: string; groupFile: string }> {
    let files = this.accountFilesOf.get(sandbox.uid);
    if (!files) {
      const dir = join(this.policy.root, 'accounts');
      files = this.madeDirs().then(() => {
        const written = { passwdFile: join(dir, `${sandbox.uid}.passwd`), groupFile: join(dir, `${sandbox.uid}.group`) };
        for (const [file, text] of [[written.passwdFile, sandbox.accounts.passwd], [written.groupFile, sandbox.accounts.group]]) {
          const partial = `${file}.${process.pid}`;
          writeFileSync(partial, text, { mode: 0o644 });
          renameSync(partial, file);
        }
        return written;
      });
      this.accountFilesOf.set(sandbox.uid, files);
      void files.catch(() => this.accountFilesOf.delete(sandbox.uid));
    }
    return files;
  }

  /**
   * Gives back what `acquire` handed out for a launch that has ended and been sealed: its files
   * and its uid's claim. Nothing runs as that uid any more: its supervisor killed whatever the
   * step left behind (`kill -9 -1` as the uid), or the worker did (`killLeftovers`) after
   * killing the supervisor. What the step wrote in its temporary directories (and a launch's
   * own directory) is moved aside (one rename) and removed in the background: a step's `/tmp`
   * can hold any number of files, and under a 200-wide fan-out the removal, through libuv's
   * pool, held each task ~80 ms. Moved aside, its files are as far out of any step's reach
   * (under root's 0700 directory) as before, whether or not the uid is handed out again
   * meanwhile. Untouched ones stay for the uid's next launch (`tmpMounts`).
   */
  async release(launchName: string, uid: number): Promise<void> {
    await this.madeDirs();
    const aside = join(this.policy.root, 'trash', `${launchName}.${randomUUID()}`);
    const moved = moveAside(this.launchDir(launchName), aside);
    for (const mount of this.tmpMounts(launchName, uid)) this.discardTouched(mount);
    this.releaseUid(launchName, uid);
    if (moved) void removeQuietly(aside);
  }

  private releaseUid(launchName: string, uid: number): void {
    if (this.policy.users.kind !== 'per-launch') return;
    const claim = this.claimFile(uid);
    if (readClaim(claim) !== launchName) return;
    // Kept for a later claim's source (`claimSource`): a claim file freed per launch made every
    // later inode slow to allocate on an ext4 without a journal (see `tmpMounts`).
    renameSync(claim, join(this.policy.root, 'uid-spares', String(uid)));
    this.spareClaims.push(uid);
  }

  /** The claim, account and trash directories, made at this worker's first launch; what a worker before it left in the trash is removed then. */
  private madeDirs(): Promise<unknown> {
    this.dirsMade ??= Promise.all(['uids', 'uid-spares', 'uid-taking', 'uid-tmp', 'accounts', 'accounts-mount', 'trash'].map((d) => mkdir(join(this.policy.root, d), { recursive: true, mode: 0o700 }))).then(async () => {
      const trash = join(this.policy.root, 'trash');
      void readdir(trash).then((left) => Promise.all(left.map((entry) => removeQuietly(join(trash, entry)))), () => undefined);
      this.spareClaims.push(...(await readdir(join(this.policy.root, 'uid-spares'))).map(Number).filter(Number.isInteger));
      // A source a killed worker was making a claim with (`claimSource`): each lives for a moment.
      const taking = join(this.policy.root, 'uid-taking');
      for (const name of await readdir(taking)) {
        const made = await stat(join(taking, name)).then((st) => st.mtimeMs, () => Date.now());
        if (made < Date.now() - 60_000) rmSync(join(taking, name), { force: true });
      }
    });
    void this.dirsMade.catch(() => (this.dirsMade = undefined));
    return this.dirsMade;
  }

  private launchDir(launchName: string): string {
    return join(this.policy.root, 'launches', launchName);
  }

  private claimFile(uid: number): string {
    return join(this.policy.root, 'uids', String(uid));
  }

  /**
   * The uid `launchName` runs as; `again` when the launch had claimed it before (a retried start).
   *
   * A claim makes the launch's directory `workDir` its uid's at once (`handDirsTo` then makes it
   * private), so a retried start finds the uid its start before claimed by the directory's
   * owner. A fresh claim takes the uid its claim file was released by, when that uid is still
   * free: a worker's launches go round a few uids, whose `/tmp` (`tmpMounts`) and namespaces
   * (the launcher zygote's, `python/zygote.py` `_Kept`) wait for them. Else the search starts
   * at a slot derived from the launch name, so that workers spread over the uids.
   */
  private async claimUid(launchName: string, workDir: string): Promise<{ uid: number; again: boolean; handedOn?: boolean }> {
    const users = this.policy.users;
    if (users.kind === 'fixed') return { uid: users.uid, again: false };
    await this.madeDirs();
    const owner = launchUid(workDir);
    if (owner !== undefined && owner >= users.first && owner < users.first + users.count && readClaim(this.claimFile(owner)) === launchName) return { uid: owner, again: true };
    const start = createHash('sha256').update(launchName).digest().readUInt32BE(0) % users.count;
    const { source, released } = this.claimSource(launchName);
    const claimed = (uid: number) => {
      lchownSync(workDir, uid, this.policy.gid);
      return { uid, again: false, handedOn: uid === released };
    };
    try {
      if (released !== undefined && link(source, this.claimFile(released))) return claimed(released);
      for (let i = 0; i < users.count; i++) {
        const uid = users.first + ((start + i) % users.count);
        if (link(source, this.claimFile(uid))) return claimed(uid);
      }
      throw new Error(`every one of the ${users.count} step uids from ${users.first} is held by a launch: raise SLUICE_STEP_UIDS`);
    } finally {
      // Only its name: the file lives on as the claim.
      rmSync(source, { force: true });
    }
  }

  /**
   * A file of root's holding `launchName`, to link as a uid's claim: a released claim's file
   * taken from the spares (a rename: one worker gets each) and rewritten, with the uid it was
   * released by; else a new one.
   */
  private claimSource(launchName: string): { source: string; released?: number } {
    const source = join(this.policy.root, 'uid-taking', randomUUID());
    for (let uid = this.spareClaims.pop(); uid !== undefined; uid = this.spareClaims.pop()) {
      if (moveAside(join(this.policy.root, 'uid-spares', String(uid)), source)) {
        rewrite(source, launchName);
        return { source, released: uid };
      }
    }
    writeFileSync(source, launchName, { flag: 'wx', mode: 0o600 });
    return { source };
  }

  /**
   * SIGKILLs every process of a launch's own `uid` (a daemon its step left, after the worker
   * killed the supervisor that would have done it). Nothing for a uid steps share, or root's.
   */
  async killLeftovers(uid: number | undefined): Promise<void> {
    const users = this.policy.users;
    if (users.kind === 'per-launch' && uid !== undefined && uid >= users.first && uid < users.first + users.count) await killProcessesOf(uid);
  }
}

/** Links `source` as `claim`: atomic, and false on a claim that exists, as an `O_EXCL` create. */
function link(source: string, claim: string): boolean {
  return unless('EEXIST', () => linkSync(source, claim));
}

/** The launch name a uid's claim file holds, or undefined when there is none. */
function readClaim(claim: string): string | undefined {
  try {
    return readFileSync(claim, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Whether the step's temporary directory `dir` is as its launch got it: root's (and, at the top,
 * mode 1777: a step cannot change it) and holding nothing but root's directories on the paths
 * of `keep` (each split into its names below the mount's target), which the supervisor made to
 * bind Sluice's own directories on and whose contents the mounts covered. Absent counts as
 * untouched: there is nothing to discard.
 */
function untouched(dir: string, keep: string[][], top: boolean): boolean {
  let stats;
  try {
    stats = lstatSync(dir);
  } catch {
    return top;
  }
  if (!stats.isDirectory() || stats.uid !== 0 || (top ? (stats.mode & 0o7777) !== 0o1777 : (stats.mode & 0o022) !== 0)) return false;
  const allowed = new Set(keep.map((path) => path[0]));
  // Never the whole listing: a step's /tmp may hold millions of entries, and this runs on the worker's event loop.
  const names = firstNames(dir, allowed.size + 1);
  return names.length <= allowed.size && names.every((name) => allowed.has(name) && untouched(join(dir, name), keep.filter((path) => path[0] === name && path.length > 1).map((path) => path.slice(1)), false));
}

/** Up to `limit` names of `dir`'s entries, reading no more of it than that takes. */
function firstNames(dir: string, limit: number): string[] {
  const handle = opendirSync(dir, { bufferSize: Math.min(32, limit) });
  try {
    const names: string[] = [];
    while (names.length < limit) {
      const entry = handle.readSync();
      if (!entry) break;
      names.push(entry.name);
    }
    return names;
  } finally {
    handle.closeSync();
  }
}

/**
 * `text` as the whole of `file`, written over what it held and cut to its length: truncating it
 * first would free its block and allocate another, ~130 µs on this VM's ext4 (mounted with
 * `discard`) against ~7 µs.
 */
function rewrite(file: string, text: string): void {
  const data = Buffer.from(text);
  const fd = openSync(file, constants.O_RDWR | constants.O_NOFOLLOW);
  try {
    writeSync(fd, data, 0, data.length, 0);
    ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}

/** Renames `from` to `to`; false when there is nothing at `from`. */
function moveAside(from: string, to: string): boolean {
  return unless('ENOENT', () => renameSync(from, to));
}

/** Whether `call` succeeded: false when it failed with `code`, which is an answer here, not an error. */
function unless(code: string, call: () => void): boolean {
  try {
    call();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === code) return false;
    throw err;
  }
}

/** Removes a tree moved to the trash; a failure leaves it to the next worker's sweep. */
function removeQuietly(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true }).catch(() => undefined);
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** SIGKILLs every process whose owner (the owner of its `/proc/PID`) is `uid`. */
async function killProcessesOf(uid: number): Promise<void> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const owners = await Promise.all(pids.map((pid) => stat(`/proc/${pid}`).then((s) => s.uid, () => undefined)));
  pids.forEach((pid, i) => {
    if (owners[i] !== uid) return;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  });
}

/** The uid a launch runs as: its directory's owner, which the step cannot change (lstat: never through a link). */
export function launchUid(workDir: string): number | undefined {
  try {
    return lstatSync(workDir).uid;
  } catch {
    return undefined;
  }
}

/**
 * Makes `dirs` the step's to write: its own (launch and output directories) private to its uid,
 * the run's shared workspace the steps' group's (setgid, so files made in it stay the group's).
 * lchown: a directory a step replaced with a symlink gives nothing else away.
 */
export function handDirsTo(sandbox: StepSandbox, dirs: string[], workspaceDir: string | undefined): void {
  for (const dir of dirs) {
    if (dir === workspaceDir) {
      lchownSync(dir, 0, sandbox.gid);
      chmodSync(dir, 0o2770);
    } else {
      lchownSync(dir, sandbox.uid, sandbox.gid);
      chmodSync(dir, 0o700);
    }
  }
}

/**
 * The step's environment variables that `sandbox` decides: its temporary directory, and names
 * for its user (another user's HOME is out of reach: the launch directory serves instead).
 */
export function sandboxEnv(sandbox: StepSandbox, workDir: string): Record<string, string> {
  return { HOME: workDir, USER: USER_NAME, LOGNAME: USER_NAME, TMPDIR: sandbox.privateTmp ? '/tmp' : sandbox.tmpDir };
}

/**
 * The program and arguments that run `argv` inside `sandbox` (as root, through `unshare`, which
 * execs in place: the pid the spawn reports is the step's supervisor's all along). The shell
 * only mounts and execs; every value arrives as an argument ("$@"), never spliced in.
 */
export function sandboxedCommand(tools: SandboxTools, sandbox: StepSandbox, accounts: { passwdFile: string; groupFile: string }, argv: string[]): { file: string; args: string[] } {
  // /etc first: its sources may lie under /tmp. Arguments: $1 mount, $2 umount, $3 passwd,
  // $4 group, $5 ip or '', $6 /dev/shm or '', $7 the stash, then per mount its target, its
  // source, the paths to keep and ';', then '--', argv (`TmpMounts`).
  const script = [
    'set -e',
    // The directories made to keep Sluice's own under /tmp are never writable to others (see `untouched`).
    'umask 022',
    'm=$1; u=$2',
    '"$m" --bind "$3" /etc/passwd',
    '"$m" --bind "$4" /etc/group',
    'if [ -n "$5" ]; then "$5" link set lo up; fi',
    'if [ -n "$6" ]; then "$m" -t tmpfs -o mode=1777,nosuid,nodev sluice-shm "$6"; fi',
    'stash=$7',
    'shift 7',
    'while [ "$1" != -- ]; do',
    '  t=$1; s=$2; shift 2',
    '  "$m" --rbind "$t" "$stash"',
    '  case "$s" in "$t"/*) s=$stash${s#"$t"};; esac',
    '  "$m" --bind "$s" "$t"',
    // A directory to keep that does not exist (yet) is nothing the step could reach anyway.
    '  while [ "$1" != ";" ]; do if [ -d "$stash${1#"$t"}" ]; then mkdir -p "$1"; "$m" --rbind "$stash${1#"$t"}" "$1"; fi; shift; done',
    '  shift',
    '  "$u" -l "$stash"',
    'done',
    'shift',
    // Group-writable files by default: the run's workspace is shared by the steps' group.
    'umask 002',
    'exec "$@"',
  ].join('\n');
  const unshareFlags = ['--mount', '--propagation', 'private', ...(sandbox.isolateNetwork ? ['--net'] : [])];
  const setpriv = [tools.setpriv, `--reuid=${sandbox.uid}`, `--regid=${sandbox.gid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all', '--'];
  const tmp = sandbox.privateTmp;
  return {
    file: tools.unshare,
    args: [
      ...unshareFlags, '--', '/bin/sh', '-c', script, 'sluice-sandbox',
      tools.mount, tools.umount, accounts.passwdFile, accounts.groupFile, sandbox.isolateNetwork ? tools.ip : '', sandbox.privateShm ? '/dev/shm' : '',
      tmp?.stash ?? '', ...(tmp?.mounts ?? []).flatMap(({ target, source, keep }) => [target, source, ...keep, ';']), '--',
      ...setpriv, ...argv,
    ],
  };
}

/** Absolute paths of the programs a sandbox is made with. */
export interface SandboxTools {
  unshare: string;
  setpriv: string;
  mount: string;
  umount: string;
  ip: string;
}

/**
 * Finds the tools and proves a sandbox can be made here (namespaces need root's CAP_SYS_ADMIN,
 * which a container may withhold) by running `true` in one; the error says what failed.
 */
export async function probeSandbox(sandboxes: StepSandboxes): Promise<SandboxTools> {
  const find = async (name: string) => {
    for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
      if (await stat(join(dir, name)).then((s) => s.isFile(), () => false)) return join(dir, name);
    }
    throw new Error(`${name} is not installed (util-linux and iproute2 provide the tools that confine steps)`);
  };
  const tools = { unshare: await find('unshare'), setpriv: await find('setpriv'), mount: await find('mount'), umount: await find('umount'), ip: sandboxes.policy.isolateNetwork ? await find('ip') : '' };
  const probe = `probe-${process.pid}-${Date.now()}`;
  const workDir = join(sandboxes.policy.root, 'launches', probe);
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  const sandbox = await sandboxes.acquire(probe, workDir);
  try {
    const { file, args } = sandboxedCommand(tools, sandbox, await sandboxes.accountFiles(sandbox), ['/bin/sh', '-c', 'test "$(id -u)" = "$1"', 'probe', String(sandbox.uid)]);
    await run(file, args, { timeout: 10_000 }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`a step sandbox cannot be made here: ${(err.stderr || err.message).trim()}`, { cause: err });
    });
  } finally {
    await sandboxes.release(probe, sandbox.uid);
  }
  return tools;
}
