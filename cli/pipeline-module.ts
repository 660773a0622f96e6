import { extname, resolve } from 'node:path';
import type { Pipeline } from '../sdk';
import type { PipelineSpec } from '../ir/types';
import { UsageError } from './exit-codes';
import { readInputFile } from './input-file';
import { loadSdk, type SdkModule } from './optional-modules';

const MODULE_EXTENSIONS = new Set(['.ts', '.cts', '.js', '.cjs']);
const TS_EXTENSIONS = new Set(['.ts', '.cts']);

/** Whether `path` names a module (to compile) rather than a compiled spec, by its extension. */
export function isPipelineModule(path: string): boolean {
  return MODULE_EXTENSIONS.has(extname(path).toLowerCase());
}

/**
 * Loads a module whose default export is an SDK pipeline and compiles it with the SDK's
 * `compilePipeline`. TypeScript loads through tsx, so no build step is needed.
 * Throws `UsageError` when the module fails to load, exports no pipeline, or does not compile.
 */
export function compilePipelineModule(path: string): PipelineSpec {
  if (!isPipelineModule(path)) throw new UsageError(`${path}: expected a TypeScript or JavaScript module (.ts, .js)`);
  readInputFile(path); // a missing file gets the same message as for a spec, not a module-resolution error
  if (TS_EXTENSIONS.has(extname(path).toLowerCase())) registerTsx();
  const file = resolve(path);
  let exports: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's module, found at run time
    exports = require(file);
  } catch (err) {
    throw new UsageError(`${path}: cannot load the module: ${(err as Error).message}`, { cause: err });
  }
  // An ES module (TypeScript, transpiled) gives its default export; plain CommonJS, module.exports.
  const pipeline = exports.__esModule ? exports.default : exports;
  if (typeof pipeline !== 'object' || pipeline === null) {
    throw new UsageError(`${path}: the default export is not a pipeline (export default pipeline(...) from the SDK)`);
  }
  const sdk = sdkUsedBy(require.cache[file]) ?? loadSdk();
  try {
    return sdk.compilePipeline(pipeline as Pipeline);
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The SDK the pipeline module imported, found in its module graph. The SDK keeps per-copy state
 * (the builder that collects a body's tasks, `instanceof` checks), so only the copy that defined
 * the pipeline can compile it, and from dist/ the CLI's own copy (dist/sdk) is not the one a .ts
 * pipeline imports (sdk/*.ts). Undefined when the graph is not visible (jest's module registry).
 */
function sdkUsedBy(root: NodeJS.Module | undefined): SdkModule | undefined {
  const queue = root ? [...root.children] : [];
  const seen = new Set(queue);
  for (let m = queue.shift(); m; m = queue.shift()) {
    if (typeof (m.exports as Partial<SdkModule> | undefined)?.compilePipeline === 'function') return m.exports as SdkModule;
    for (const child of m.children) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return undefined;
}

let tsxRegistered = false;

/** Teaches `require` TypeScript, once per process; it stays on for modules the pipeline loads later. */
function registerTsx(): void {
  if (tsxRegistered) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- tsx's CommonJS API has no types under "node" resolution
  (require('tsx/cjs/api') as { register(): () => void }).register();
  tsxRegistered = true;
}
