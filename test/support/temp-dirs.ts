import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temporary directory that pipeline steps may write into. Under a root worker, steps run as
 * an unprivileged user, and mkdtemp's 0700 would keep them out.
 */
export function stepWritableDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
  chmodSync(dir, 0o777);
  return dir;
}
