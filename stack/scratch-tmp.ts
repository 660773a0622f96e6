import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTicksOf } from './pid-files';

const OWNER_FILE = 'owner.json';

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
export async function useScratchTmp(prefix: string): Promise<ScratchTmp> {
  const previous = process.env.TMPDIR;
  await removeAbandoned(tmpdir(), prefix);
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(root, OWNER_FILE), JSON.stringify({ pid: process.pid, startTicks: await startTicksOf(process.pid) }));
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

/** Directories of runs that were killed before their `remove` (a CI timeout, a `kill -9`): their owner is gone. */
async function removeAbandoned(parent: string, prefix: string): Promise<void> {
  const names = (await readdir(parent)).filter((name) => name.startsWith(prefix));
  await Promise.all(names.map(async (name) => {
    const dir = join(parent, name);
    const owner = await readFile(join(dir, OWNER_FILE), 'utf8')
      .then((text) => JSON.parse(text) as { pid: number; startTicks: number })
      .catch(() => undefined);
    // Without an owner file it is not ours to judge (or still being created).
    if (owner && (await startTicksOf(owner.pid)) !== owner.startTicks) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }));
}
