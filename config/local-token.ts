import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local user's API token, which `sluice dev` creates at first start: one line in the data
 * dir, mode 0600, so only that user (and root) can read it. The CLI reads it when it talks to a
 * loopback API and was given no token.
 */
export function localTokenPath(dataDir: string): string {
  return join(dataDir, 'token');
}

/** The token in `dataDir`, or undefined when there is none (no stack started there yet). */
export function readLocalToken(dataDir: string): string | undefined {
  try {
    return readFileSync(localTokenPath(dataDir), 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
