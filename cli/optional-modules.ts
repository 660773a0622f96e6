import { OperationError } from './exit-codes';

/**
 * The heavy parts the CLI needs for only one command each: the SDK compiler (`run FILE.ts`,
 * `compile`) and the embedded stack (`dev`). They load on demand, so `sluice runs list` starts
 * without Temporal's worker or PostgreSQL, and a build that lacks one still runs every other
 * command. Only their types are imported statically.
 */

export type SdkModule = Pick<typeof import('../sdk'), 'compilePipeline' | 'toYaml'>;

export type DevStackModule = Pick<typeof import('../stack/dev-stack'), 'startDevStack'>;
export type DevStack = Awaited<ReturnType<DevStackModule['startDevStack']>>;

export function loadSdk(): SdkModule {
  return loadModule<SdkModule>('../sdk', 'compilePipeline');
}

export type WorkerProcessModule = Pick<typeof import('../worker/main'), 'runWorkerProcess'>;

export function loadWorkerProcess(): WorkerProcessModule {
  return loadModule<WorkerProcessModule>('../worker/main', 'runWorkerProcess');
}

export function loadDevStack(): DevStackModule {
  return loadModule<DevStackModule>('../stack/dev-stack', 'startDevStack');
}

/** Throws `OperationError` when the module or its export is missing (a partial build). */
function loadModule<T>(id: string, exportName: string): T {
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
    mod = require(id);
  } catch (err) {
    throw new OperationError(`cannot load ${id.slice(3)}/ (${(err as Error).message}); \`npm run setup\` builds it`, { cause: err });
  }
  if (typeof mod[exportName] !== 'function') {
    throw new OperationError(`${id.slice(3)}/ does not export ${exportName}(); \`npm run setup\` rebuilds it`);
  }
  return mod as T;
}
