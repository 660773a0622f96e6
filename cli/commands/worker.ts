import type { CliContext } from '../context';
import { ExitCode } from '../exit-codes';
import { loadWorkerProcess } from '../optional-modules';

/**
 * `sluice worker`: one more worker for an existing stack (scale-out, or Kubernetes pods). Its
 * configuration comes from the environment (DATABASE_URL, TEMPORAL_ADDRESS, …) like every
 * other process; Temporal's runtime stops it on SIGINT/SIGTERM, after which this returns.
 */
export async function workerCommand(ctx: CliContext): Promise<ExitCode> {
  await loadWorkerProcess().runWorkerProcess(ctx.env);
  return ExitCode.Success;
}
