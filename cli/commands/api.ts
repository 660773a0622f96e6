import { println, type CliContext } from '../context';
import { ExitCode } from '../exit-codes';
import { interruptOnSignal } from '../interrupt';

/**
 * `sluice api`: the API server on its own, for an existing stack (the Helm chart's API pods).
 * Its configuration comes from the environment (DATABASE_URL, TEMPORAL_ADDRESS,
 * SLUICE_API_HOST/PORT, …) like `sluice worker`. Serves until SIGINT/SIGTERM, then closes the
 * server and its connections and exits 0; a second signal exits at once.
 */
export async function apiCommand(ctx: CliContext): Promise<ExitCode> {
  // Loaded here, not at the top: the API pulls in express, pg and the Temporal client, which
  // the CLI's other commands do without.
  const { runApiProcess } = await import('../../api/main');
  const interrupt = interruptOnSignal(ctx);
  try {
    await runApiProcess(interrupt.signal, ctx.env, (line) => println(ctx.stderr, line));
  } finally {
    interrupt.dispose();
  }
  return ExitCode.Success;
}
