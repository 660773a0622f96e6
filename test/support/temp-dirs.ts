import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A temporary directory that pipeline steps may write into and the test can read: steps run as
 * unprivileged uids of their own (mkdtemp's 0700 would keep them out), each with a private /tmp,
 * so it lies in the jest run's directory outside /tmp (global-setup), removed at teardown.
 */
export function stepWritableDir(prefix: string): string {
  const shared = process.env.SLUICE_TEST_STEPS_DIR;
  if (!shared) throw new Error('SLUICE_TEST_STEPS_DIR is unset: run the tests through jest (test/support/global-setup.mjs)');
  mkdirSync(shared, { recursive: true, mode: 0o711 });
  const dir = mkdtempSync(join(shared, `${prefix}-`));
  chmodSync(dir, 0o777);
  return dir;
}
