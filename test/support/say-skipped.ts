/**
 * Says plainly that tests were skipped and why. Written straight to stderr: jest swallows
 * console output of a suite whose tests are all skipped.
 */
export function saySkipped(message: string): void {
  process.stderr.write(`SKIPPED: ${message}\n`);
}
