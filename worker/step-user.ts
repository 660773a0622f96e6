import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { probeSandbox, StepSandboxes, type PrivateTmp, type SandboxTools, type StepUsers } from '../activities/runners/step-sandbox';
import { ConfigError } from '../config/config';
import { firstUnreachableDir } from '../config/reachable';

/** Who local steps run as under a root worker, and the group they share. */
export interface StepIdentity {
  /** For messages: `per-launch uids 2000000001–2000065535`, or the configured user's name. */
  name: string;
  users: StepUsers;
  gid: number;
  /** Who builds lightweight components' Python environments (building runs packages' code): never a step's uid. */
  builder: { uid: number; gid: number };
}

/**
 * The identity local steps run as (see `SluiceConfig.stepUser` and `stepUids`), or undefined
 * for the worker's own (a worker that is not root has no other to give them). Under root the
 * default is a uid of their own per launch from `uids` (its first id is the steps' group and
 * the environment builder, never a step). Throws ConfigError for an unknown user, another user
 * when the worker is not root, a bad range, and root itself: steps never run as root.
 */
export function resolveStepUser(configured: string | undefined, uids: string, workerUid: number | undefined = process.getuid?.()): StepIdentity | undefined {
  if (workerUid === 0 && (configured === 'inherit' || configured === 'root')) {
    throw new ConfigError(`stepUser: steps never run as root; leave SLUICE_STEP_USER unset (each launch gets a uid of its own from SLUICE_STEP_UIDS), set it to an unprivileged user, or run the worker as an unprivileged user`);
  }
  if (configured === undefined && workerUid === 0) return perLaunch(uids);
  if (!configured || configured === 'inherit') return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((f) => f[0] === configured);
  if (!entry) throw new ConfigError(`stepUser: there is no user '${configured}' on this machine (set SLUICE_STEP_USER to an existing user, or leave it unset)`);
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  if (uid === 0) throw new ConfigError(`stepUser: '${configured}' is root (uid 0); steps never run as root`);
  if (uid === workerUid) return undefined;
  if (workerUid !== 0) throw new ConfigError(`stepUser: only a worker running as root can run steps as '${configured}'`);
  return { name: configured, users: { kind: 'fixed', uid }, gid, builder: { uid, gid } };
}

function perLaunch(uids: string): StepIdentity {
  const match = /^(\d+)-(\d+)$/.exec(uids.trim());
  const first = match ? Number(match[1]) : Number.NaN;
  const last = match ? Number(match[2]) : Number.NaN;
  if (!(first >= 1000 && last > first && last < 2 ** 32 - 1)) {
    throw new ConfigError(`stepUids: '${uids}' is not a range FIRST-LAST of at least two unused ids from 1000 below 4294967295 (e.g. 2000000000-2000065535)`);
  }
  return { name: `per-launch uids ${first + 1}-${last}`, users: { kind: 'per-launch', first: first + 1, count: last - first }, gid: first, builder: { uid: first, gid: first } };
}

/**
 * Why steps could not run as `identity`, or undefined when they can: steps execute the runtime's
 * interpreter (following its symlinks) and write under the artifact root, so every directory on
 * both ways must be enterable by other users.
 */
export function stepUserBlocked(identity: Pick<StepIdentity, 'name'>, runtime: string, artifactRoot: string): string | undefined {
  const python = join(runtime, 'bin', 'python3');
  for (const path of [artifactRoot, existsSync(python) ? realpathSync(python) : runtime]) {
    const blocked = firstUnreachableDir(path);
    if (blocked) return `steps (${identity.name}) cannot enter ${blocked} (on the way to ${path})`;
  }
  return undefined;
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** Where the host's `/tmp` waits while a step's own is mounted: an existing directory outside it that steps do not need. */
export const STASHES = ['/mnt', '/media', '/srv', '/opt'];

/**
 * How steps get a `/tmp` and a `/var/tmp` of their own while still reaching `paths` (Sluice's
 * directories, which may lie under the host's, e.g. in a checkout there): those under each are
 * bound back (the outermost of them). Undefined when `/tmp` itself is one, or no stash directory
 * holds none of them; `/var/tmp` stays the host's when it is one, or is no directory of its own (a link to `/tmp`).
 * The stash is covered while a sandbox is made, and what lies under it with it: a data dir on a
 * volume at `/mnt/data` (where cloud machines mount their disks) was out of reach just then.
 */
export function privateTmpFor(paths: string[]): PrivateTmp | undefined {
  const real = realPaths(paths);
  const stash = STASHES.find((dir) => existsSync(dir) && statSync(dir).isDirectory() && !real.some((path) => isUnder(path, dir)));
  if (!stash || real.includes('/tmp')) return undefined;
  const covered = ['/tmp', ...(isOwnDir('/var/tmp') && !real.includes('/var/tmp') ? ['/var/tmp'] : [])];
  return { stash, dirs: covered.map((dir) => ({ path: dir, keep: outermost(real.filter((path) => isUnder(path, dir))) })) };
}

/** Whether each step can get a `/dev/shm` of its own: the host has one, and none of `paths` lies under it. */
export function privateShmFor(paths: string[]): boolean {
  return isOwnDir('/dev/shm') && !realPaths(paths).some((path) => isUnder(path, '/dev/shm'));
}

function realPaths(paths: string[]): string[] {
  return paths.map((path) => (existsSync(path) ? realpathSync(path) : path));
}

/** A directory, and not through a link (`/var/tmp` may be one to `/tmp`). */
function isOwnDir(dir: string): boolean {
  return existsSync(dir) && realpathSync(dir) === dir && statSync(dir).isDirectory();
}

/** The outermost of `paths`, sorted, once each. */
function outermost(paths: string[]): string[] {
  return [...new Set(paths)].filter((path) => !paths.some((other) => other !== path && isUnder(path, other))).sort();
}

/**
 * The sandboxes steps of `identity` run in, their claims and files under `dataDir/run/steps`,
 * proven to work here. Each step's `/tmp` is its own; the data dir and `stepPaths` (the artifact
 * root, the runtime: what steps must reach) stay where they are, even under the host's `/tmp`.
 * @throws ConfigError saying what failed when this host cannot make them.
 */
export async function confineSteps(identity: StepIdentity, dataDir: string, network: 'isolated' | 'host', stepPaths: string[] = []): Promise<{ sandboxes: StepSandboxes; tools: SandboxTools }> {
  const privateTmp = privateTmpFor([dataDir, ...stepPaths]);
  const privateShm = privateShmFor([dataDir, ...stepPaths]);
  const sandboxes = new StepSandboxes({ root: join(dataDir, 'run', 'steps'), users: identity.users, gid: identity.gid, isolateNetwork: network === 'isolated', privateTmp, privateShm });
  const tools = await probeSandbox(sandboxes).catch((err: Error) => {
    throw new ConfigError(`stepNetwork: ${err.message}; a worker running as root confines every step (SLUICE_STEP_NETWORK=host keeps the namespaces but shares the host's network)`);
  });
  return { sandboxes, tools };
}
