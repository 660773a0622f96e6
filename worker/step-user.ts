import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config';
import { firstUnreachableDir } from '../config/reachable';

export interface StepUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The user local steps run as (see `SluiceConfig.stepUser`), or undefined for the worker's own
 * (a worker that is not root has no other to give them). Throws ConfigError for an unknown user,
 * another user when the worker is not root, and root itself: steps never run as root.
 */
export function resolveStepUser(configured: string | undefined, workerUid: number | undefined = process.getuid?.()): StepUser | undefined {
  const name = configured ?? (workerUid === 0 ? 'nobody' : undefined);
  if (workerUid === 0 && (name === 'inherit' || name === 'root')) {
    throw new ConfigError(`stepUser: steps never run as root; set SLUICE_STEP_USER to an unprivileged user (the default is nobody), or run the worker as an unprivileged user`);
  }
  if (!name || name === 'inherit') return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((f) => f[0] === name);
  if (!entry) throw new ConfigError(`stepUser: there is no user '${name}' on this machine (set SLUICE_STEP_USER to an existing user, or 'inherit')`);
  const user = { name, uid: Number(entry[2]), gid: Number(entry[3]) };
  if (user.uid === 0) throw new ConfigError(`stepUser: '${name}' is root (uid 0); steps never run as root`);
  if (user.uid === workerUid) return undefined;
  if (workerUid !== 0) throw new ConfigError(`stepUser: only a worker running as root can run steps as '${name}'`);
  return user;
}

/**
 * Why `user` could not run steps here, or undefined when it can: steps execute the runtime's
 * interpreter (following its symlinks) and write under the artifact root, so every directory on
 * both ways must be enterable by that user.
 */
export function stepUserBlocked(user: StepUser, runtime: string, artifactRoot: string): string | undefined {
  const python = join(runtime, 'bin', 'python3');
  for (const path of [artifactRoot, existsSync(python) ? realpathSync(python) : runtime]) {
    const blocked = firstUnreachableDir(path);
    if (blocked) return `'${user.name}' cannot enter ${blocked} (on the way to ${path})`;
  }
  return undefined;
}
