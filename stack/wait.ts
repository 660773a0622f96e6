/** Polls `probe` until it resolves; rejects with the last error after `timeoutMs`, or at once when `fatal` says so. */
export async function waitFor(
  what: string,
  probe: () => Promise<unknown>,
  opts: { timeoutMs: number; intervalMs?: number; fatal?: (err: unknown) => boolean },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  let gaveUp = false;
  for (;;) {
    try {
      await probe();
      return;
    } catch (err) {
      last = err;
      if (opts.fatal?.(err)) {
        gaveUp = true;
        break;
      }
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
  const reason = last instanceof Error ? last.message : String(last);
  throw new Error(`${gaveUp ? 'failed' : 'timed out'} waiting for ${what}: ${reason}`, { cause: last });
}
