import { bundleWorkflowCode, type Logger } from '@temporalio/worker';

/**
 * Run once as the bundle is evaluated in the workflow sandbox, before the SDK freezes its
 * built-ins (a module of the bundle runs too late: `Error` is read-only by then).
 *
 * The SDK records where every promise of a workflow was made, for the stack-trace query (the
 * Temporal UI's "Stack Trace" tab): a stack captured and source-mapped per promise. The
 * interpreter makes ~40 promises per loop iteration, and at V8's default of 10 frames that cost
 * the workflow thread ~1.5 ms of a loop step, ~0.1 ms per frame (0.6 ms with none). Those frames
 * show where the interpreter waits, not where the user's pipeline does (the `tasks` query and
 * the API say that), so workflow code keeps none: the query still answers, with each pending
 * promise, and an error thrown in workflow code keeps its message. On the bundle's first line,
 * which is the webpack runtime's, so that the source map's lines still match.
 */
const PRELUDE = 'Error.stackTraceLimit = 0;';

/** The workflow bundle the worker runs, with its prelude: built once by `npm run build`, or at a worker's start without it. */
export async function bundleSluiceWorkflows(logger?: Logger): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger });
  return { code: PRELUDE + code };
}
