/**
 * An error's message followed by its causes' (a gRPC status such as "3 INVALID_ARGUMENT: Blob
 * data size exceeds limit."), each once.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const message = e instanceof Error ? e.message : String(e);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    if (!(e instanceof Error)) break;
  }
  // Something threw or rejected with nothing (undefined, an empty message): say so rather than print "undefined".
  return parts.join(': ') || `an error with no message (${err === undefined ? 'undefined' : typeof err} was thrown)`;
}
