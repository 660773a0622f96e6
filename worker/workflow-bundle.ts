import { bundleWorkflowCode, type Logger } from '@temporalio/worker';

/**
 * Run once as the bundle is evaluated in the workflow sandbox, before the SDK freezes its
 * built-ins (a module of the bundle runs too late: `Error` is read-only by then).
 *
 * The SDK records where every promise of a workflow was made, for the stack-trace query (the
 * Temporal UI's "Stack Trace" tab), with a V8 promise hook on the workflow thread. The
 * interpreter makes ~40 promises per loop iteration. At V8's default of 10 frames the stacks
 * cost the workflow thread ~1.5 ms of a loop step (~0.1 ms per frame), so workflow code keeps
 * none (`Error.stackTraceLimit = 0`; an error thrown in workflow code keeps its message). With
 * no frames the hook still cost half of the workflow thread's first round over a 200-wide
 * fan-out (47 of its 100 µs-sampled ms): per promise it finds the workflow's activator and
 * `Error` by compiling `return globalThis…` with the promise's realm's `Function`
 * (`promise.constructor.constructor`, twice, and once more when the promise settles), takes a
 * stack and files it. The SDK has no switch for it, and what it recorded was an empty stack
 * per promise: so the sandbox's `Promise.constructor` answers that lookup with a function that
 * finds no activator, and the hook returns at once (“only run in workflow context”). Nothing
 * else reads it (a promise's species is `promise.constructor`, `Promise` itself, unchanged).
 * The stack-trace query answers with no stacks; the `tasks` query and the API say where a run
 * waits. On the bundle's first line, which is the webpack runtime's, so that the source map's
 * lines still match.
 */
const PRELUDE = "Error.stackTraceLimit = 0; Object.defineProperty(Promise, 'constructor', { value: function () { return function () { return undefined; }; } });";

/** The workflow bundle the worker runs, with its prelude: built once by `npm run build`, or at a worker's start without it. */
export async function bundleSluiceWorkflows(logger?: Logger): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger });
  return { code: PRELUDE + code };
}
