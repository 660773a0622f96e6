import { chmodSync, closeSync, constants, fstatSync, lchownSync, lstatSync, openSync, readdirSync, readFile, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

/**
 * File access of the worker (root) to places a step (another user) can write: its launch and
 * output directories. A step may leave a symlink, a FIFO, or a renamed directory there; the
 * worker must then read nothing else, block on nothing, and change nothing outside.
 */

/** Thrown when a step left something other than a plain file where the worker reads one. */
export class UnsafeOutputError extends Error {}

/**
 * The contents of `file`, which must be a regular file inside `dir` (after resolving every
 * directory on the way), or undefined when it does not exist. Never follows a symlink as the
 * last component (`O_NOFOLLOW`), never blocks on a FIFO (`O_NONBLOCK`, then `fstat`), and checks
 * where the opened file really is (`/proc/self/fd`), so a directory on the way that a step
 * replaced with a symlink does not lead out of `dir` either.
 *
 * @throws UnsafeOutputError naming the file when it is a symlink, not a regular file, or outside `dir`.
 */
export async function readFileInside(dir: string, file: string): Promise<Buffer | undefined> {
  // Synchronous calls, as in `sealTree`: every launch reads a few small files this way. Only a
  // large file's contents are read through the thread pool.
  let fd;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new UnsafeOutputError(`${file} is a symbolic link; the worker reads only plain files a step wrote`);
    throw err;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new UnsafeOutputError(`${file} is not a plain file`);
    const real = readlinkSync(`/proc/self/fd/${fd}`);
    // `real` has no symlink in it, so a `dir` it starts with has none either and is where the
    // file is: only a `dir` reached through a symlink needs resolving (a system call per segment).
    const inside = (root: string) => real.startsWith(root + sep);
    if (!inside(resolve(dir)) && !inside(realpathSync(dir))) throw new UnsafeOutputError(`${file} resolves to ${real}, outside ${dir}`);
    return info.size <= SYNC_READ_MAX_BYTES ? readFileSync(fd) : await readFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Files up to this size are read synchronously (a few milliseconds at most). */
const SYNC_READ_MAX_BYTES = 1 << 20;
const readFd = promisify(readFile) as (fd: number) => Promise<Buffer>;

/** Like `readFileInside`, as text; undefined also for a symlink or anything but a plain file (a launch's own bookkeeping). */
export async function readTextInside(dir: string, file: string): Promise<string | undefined> {
  const buffer = await readFileInside(dir, file).catch((err: unknown) => {
    if (err instanceof UnsafeOutputError) return undefined;
    throw err;
  });
  return buffer?.toString('utf8');
}

/**
 * Gives the tree at `path` to `uid:gid`, writable by it alone and readable by all, without
 * following a symlink anywhere: used to hand a finished launch's outputs (and a built Python
 * environment) back to root, read-only to steps. Top-down, so each directory is out of the step
 * user's hands (root's, not writable) before anything in it is changed: a step racing the walk
 * can no longer swap an entry for a symlink. Symlinks are re-owned, never followed. `path`'s
 * parent must not be writable by the step user.
 *
 * The calls are synchronous: ~3 µs of CPU each against ~30 µs through libuv's thread pool, and
 * every launch seals its directories (the fan-out's steps spent ~2 ms of the worker's CPU each
 * on this bookkeeping). The walk yields to the event loop every `SEAL_YIELD_EVERY` entries, so
 * a large tree (a Python environment, a step's thousands of outputs) never holds it for long.
 */
export async function sealTree(path: string, uid = 0, gid = 0): Promise<void> {
  const pending = [path];
  for (let sealed = 1; pending.length > 0; sealed++) {
    // One push per entry: spreading a directory of ~100,000 entries into `push` would overflow the stack.
    for (const entry of sealEntry(pending.pop() as string, uid, gid)) pending.push(entry);
    if (sealed % SEAL_YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Seals one entry (gone is sealed); a directory's entries are returned, to be sealed after it. */
function sealEntry(path: string, uid: number, gid: number): string[] {
  let info;
  try {
    info = lstatSync(path);
  } catch {
    return [];
  }
  // What the worker wrote itself is sealed already; no step can give a file to root.
  if (info.uid !== uid || info.gid !== gid) lchownSync(path, uid, gid);
  if (info.isSymbolicLink()) return [];
  // Readable by every step (a downstream step reads the artifact), writable by root alone.
  const mode = info.isDirectory() || info.mode & 0o100 ? 0o755 : 0o644;
  if ((info.mode & 0o7777) !== mode) chmodSync(path, mode);
  return info.isDirectory() ? readdirSync(path).map((entry) => join(path, entry)) : [];
}

const SEAL_YIELD_EVERY = 256;
