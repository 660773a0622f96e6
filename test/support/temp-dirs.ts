import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

/** Outside /tmp: a confined step has a /tmp of its own, where the host's /tmp is out of sight. */
const SHARED_WITH_STEPS = '/var/tmp/sluice-tests';

/**
 * A temporary directory that pipeline steps may write into and the test can read: steps run as
 * unprivileged uids of their own (mkdtemp's 0700 would keep them out), each with a private /tmp.
 */
export function stepWritableDir(prefix: string): string {
  mkdirSync(SHARED_WITH_STEPS, { recursive: true, mode: 0o711 });
  const dir = mkdtempSync(join(SHARED_WITH_STEPS, `${prefix}-`));
  chmodSync(dir, 0o777);
  return dir;
}
