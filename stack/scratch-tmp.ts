import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScratchTmp {
  /** Holds the run's own state (data dirs) beside `tmp`. */
  root: string;
  /** Deletes the whole directory and points TMPDIR back where it was. */
  remove(): void;
}

/**
 * One directory for everything a test or bench run leaves on disk: from now on this process's
 * TMPDIR (so every `mkdtemp(tmpdir())`, and every child process's) points into it, and `remove`
 * deletes it whole. Each stack, step runtime and fixture cleaning up after itself missed some: a
 * full test run left over 1 GiB in /tmp, and repeated runs filled the disk.
 */
export function useScratchTmp(prefix: string): ScratchTmp {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), prefix));
  // As root, PostgreSQL runs as its own system user and steps as unprivileged uids: both must enter it.
  chmodSync(root, 0o755);
  const tmp = join(root, 'tmp');
  mkdirSync(tmp, { mode: 0o755 });
  process.env.TMPDIR = tmp;
  return {
    root,
    remove() {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
