/**
 * KFP's CEL, for task trigger conditions and parameterExpressionSelectors: the evaluator itself
 * is `cel-engine.ts`, loaded on first use. The workflow sandbox evaluates a workflow's modules
 * afresh for every workflow it starts, and @bufbuild/cel builds its protobuf registries when it
 * is loaded (~15 ms of the first workflow task of every run and child workflow, measured), so only
 * a workflow that evaluates an expression pays for it.
 */
import type * as Engine from './cel-engine';

export { CelError } from './cel-error';

let engine: typeof Engine | undefined;

function loaded(): typeof Engine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deferred load is the point
  return (engine ??= require('./cel-engine') as typeof Engine);
}

/** See `cel-engine.ts`'s `evaluateCondition`. @throws CelError */
export function evaluateCondition(...args: Parameters<typeof Engine.evaluateCondition>): boolean {
  return loaded().evaluateCondition(...args);
}

/** See `cel-engine.ts`'s `selectParameter`. @throws CelError */
export function selectParameter(...args: Parameters<typeof Engine.selectParameter>): ReturnType<typeof Engine.selectParameter> {
  return loaded().selectParameter(...args);
}
