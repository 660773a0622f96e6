import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

/** A build older than this was left by a worker that died mid-build: nothing finishes it. */
const ABANDONED_BUILD_MS = 60 * 60 * 1000;

/**
 * Removes what the steps' runtime root (`runtime/`: interpreter copies `python-<hash>` and
 * lightweight components' environments `envs/<hash>`) holds but nobody used for `retentionMs`:
 * runtimes of earlier package sets, environments of pipelines no longer run, and builds a dead
 * worker abandoned. Last use is a directory's mtime, which workers refresh while they use it
 * (`markUsed`); `keep` (the calling worker's runtime) is never removed. Returns what went.
 */
export async function collectRuntimeGarbage(root: string, keep: string, retentionMs: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (dir: string, isItem: (name: string) => boolean) => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      if (path === keep) continue;
      const info = await stat(path).catch(() => undefined);
      if (!info?.isDirectory()) continue;
      const age = now - info.mtimeMs;
      if ((name.startsWith('.build-') && age > ABANDONED_BUILD_MS) || (isItem(name) && age > retentionMs)) {
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      }
    }
  };
  await sweep(root, (name) => name.startsWith('python-'));
  await sweep(join(root, 'envs'), (name) => /^[0-9a-f]{24}$/.test(name));
  return removed;
}

/** Refreshes `dir`'s last use (its mtime), at most once an hour per directory and process. */
export function usageMarker(): (dir: string) => Promise<void> {
  const marked = new Map<string, number>();
  return async (dir) => {
    const now = Date.now();
    if (now - (marked.get(dir) ?? 0) < 60 * 60 * 1000) return;
    marked.set(dir, now);
    await utimes(dir, new Date(now), new Date(now)).catch(() => undefined);
  };
}
