import { existsSync, statSync } from 'node:fs';
import { dirname, parse } from 'node:path';

/**
 * The first directory on the way to `path` (itself included, when it is one) that other users
 * cannot enter, or undefined when all can. As root, PostgreSQL and pipeline steps run as other
 * system users, and need every parent of their directories to be world-executable.
 */
export function firstUnreachableDir(path: string): string | undefined {
  const isDir = existsSync(path) && statSync(path).isDirectory();
  for (let d = isDir ? path : dirname(path); ; d = dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return d;
    if (d === parse(d).root) return undefined;
  }
}
