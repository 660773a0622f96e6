import type { CliContext } from './context';
import { ExitCode } from './exit-codes';

/**
 * Turns the first SIGINT or SIGTERM into an abort of `signal`, so a long-lived command can finish
 * cleanly (stop the stack, restore the terminal); a second one exits at once with
 * `ExitCode.Interrupted`, for when the clean way hangs. `dispose()` removes the handlers.
 */
export function interruptOnSignal(ctx: CliContext): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) ctx.process.exit(ExitCode.Interrupted);
    controller.abort();
  };
  ctx.process.on('SIGINT', onSignal);
  ctx.process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      ctx.process.off('SIGINT', onSignal);
      ctx.process.off('SIGTERM', onSignal);
    },
  };
}
