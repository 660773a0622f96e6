import { withCaching } from '../../ir/cache-key';
import { isFinal } from '../../ir/states';
import type { ApiClient } from '../api-client';
import { pipelineSpecOf, stateOf, type PipelineSpecPayload, type Run } from '../api-types';
import { apiClientFor, println, useColor, type CliContext, type GlobalOptions } from '../context';
import { ExitCode, UsageError } from '../exit-codes';
import { formatTimestamp } from '../format';
import { interruptOnSignal } from '../interrupt';
import { resolveExperiment } from '../experiment-ref';
import { dashboardRunUrl, temporalRunUrl, temporalUiBase } from '../links';
import { loadPipelineFile } from '../pipeline-file';
import { registerPipeline } from '../register-pipeline';
import { finalSummary } from '../run-progress';
import { createRunView, watchRun, type RunView } from '../watch-run';

export interface RunOptions {
  param: Record<string, string>;
  /** Input artifact name → artifact id. */
  artifact: Record<string, string>;
  name?: string;
  /** Experiment id or name; a name that names none is created. */
  experiment?: string;
  wait?: boolean;
  /** False with `--no-cache`: every task of this run executes (kfp.Client's `enable_caching=False`). */
  cache: boolean;
}

/**
 * `sluice run FILE`: registers the spec as its pipeline's latest version (unless it already is),
 * submits a run of that version; with `--wait`, shows it live and exits by its final state.
 */
export async function runCommand(ctx: CliContext, globals: GlobalOptions, file: string, opts: RunOptions): Promise<ExitCode> {
  const pipelineSpec = opts.cache ? loadPipelineFile(file) : withoutCache(loadPipelineFile(file));
  const client = apiClientFor(ctx, globals);
  const pipelineName = pipelineSpecOf(pipelineSpec).pipelineInfo.name;
  const name = opts.name ?? `${pipelineName} ${formatTimestamp(new Date())}`;
  const experiment = opts.experiment === undefined ? undefined : await resolveExperiment(client, opts.experiment, { argument: '--experiment', createMissing: true });
  // Before registering anything: the server would refuse the run.
  if (experiment?.storage_state === 'ARCHIVED') {
    throw new UsageError(`--experiment: experiment "${experiment.display_name}" (${experiment.experiment_id}) is archived; \`sluice experiments unarchive ${experiment.experiment_id}\` first`);
  }
  // The pipeline lives where the run does: in its experiment's namespace (Default's is the shared one).
  const registered = await registerPipeline(client, pipelineSpec, experiment?.namespace ?? '');
  const run = await client.createRun({
    display_name: name,
    experiment_id: experiment?.experiment_id,
    pipeline_version_reference: { pipeline_id: registered.pipelineId, pipeline_version_id: registered.pipelineVersionId },
    runtime_config: {
      parameters: opts.param,
      ...(Object.keys(opts.artifact).length > 0
        ? { input_artifacts: Object.fromEntries(Object.entries(opts.artifact).map(([name, id]) => [name, { artifact_id: id }])) }
        : {}),
    },
  });
  println(ctx.stdout, `Run ${run.run_id} created: ${run.display_name ?? name}`);
  println(ctx.stdout, `  Pipeline:    ${pipelineName}, version ${registered.pipelineVersionId} (${REGISTERED[registered.created]})`);
  if (experiment) println(ctx.stdout, `  Experiment:  ${experiment.display_name} (${experiment.experiment_id}${experiment.created ? ', created now' : ''})`);
  println(ctx.stdout, `  Dashboard:   ${dashboardRunUrl(client.baseUrl, run.run_id)}`);
  println(ctx.stdout, `  Temporal UI: ${temporalRunUrl(temporalUiBase(ctx, globals), run.run_id)}  (workflow history, retries)`);
  if (!opts.wait) return ExitCode.Success;
  const interrupt = interruptOnSignal(ctx);
  try {
    const final = await watchAndReport(ctx, client, run.run_id, createRunView(ctx.stdout, useColor(ctx)), interrupt.signal);
    if (!isFinal(stateOf(final))) {
      println(ctx.stderr, `Stopped watching; run ${run.run_id} goes on. \`sluice runs terminate ${run.run_id}\` stops it.`);
      return ExitCode.Interrupted;
    }
    return stateOf(final) === 'SUCCEEDED' ? ExitCode.Success : ExitCode.Failed;
  } finally {
    interrupt.dispose();
  }
}

/** What registering the spec did, as the run's summary says it. */
const REGISTERED = { pipeline: 'a new pipeline', version: 'a new version', none: 'its latest version' } as const;

/**
 * Shows the run in `view` until it ends or `signal` aborts, then, if it ended, its final state
 * and, for a failure, its error (which carries the failing task's exit code and log tail).
 * Returns the last snapshot: not final when `signal` stopped the watch.
 */
export async function watchAndReport(ctx: CliContext, client: ApiClient, runId: string, view: RunView, signal: AbortSignal): Promise<Run> {
  let run: Run;
  try {
    run = await watchRun(client, runId, view, { signal });
  } finally {
    view.close();
  }
  if (isFinal(stateOf(run))) {
    println(ctx.stdout, finalSummary(run, new Date()));
    if (run.error?.message && stateOf(run) !== 'SUCCEEDED') println(ctx.stdout, run.error.message);
  }
  return run;
}

/** The payload with caching off for every task, the way `kfp.Client` rewrites the spec it sends. */
function withoutCache(payload: PipelineSpecPayload): PipelineSpecPayload {
  const spec = withCaching(pipelineSpecOf(payload), false);
  return 'pipelineInfo' in payload ? spec : { ...payload, pipeline_spec: spec };
}
