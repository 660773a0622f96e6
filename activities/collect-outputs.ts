import { existsSync, readFileSync } from 'node:fs';
import { mergeExecutorOutput, parseOutputParameter } from '../ir/outputs';
import type { ParameterValue } from '../ir/types';
import type { TaskOutputs } from '../ir/types';
import type { LaunchPlan } from './prepare-launch';
import type { TaskActivityInput } from './types';

/**
 * Reads what a successful step left behind, as KFP's launcher does: one file per output
 * parameter, then `executor_output.json`, which may set parameters and artifact metadata.
 * Throws, naming the output, when a declared output is missing or malformed.
 */
export function collectOutputs(input: TaskActivityInput, plan: LaunchPlan): TaskOutputs {
  const declared = input.outputDefinitions ?? {};
  const executorOutput = existsSync(plan.executorOutputFile)
    ? parseJsonFile(plan.executorOutputFile)
    : undefined;
  const fromFiles: Record<string, ParameterValue> = {};
  for (const [name, file] of Object.entries(plan.parameterFiles)) {
    if (!existsSync(file)) continue;
    const type = declared.parameters?.[name]?.parameterType ?? 'STRING';
    fromFiles[name] = parseOutputParameter(readFileSync(file, 'utf8'), type);
  }
  const outputs = mergeExecutorOutput(declared, fromFiles, executorOutput, plan.outputArtifacts);
  const missing = Object.keys(declared.parameters ?? {}).filter((name) => !(name in outputs.parameters));
  if (missing.length) {
    throw new Error(`output parameter ${missing.map((m) => `'${m}'`).join(', ')} was not written (expected a file at ${plan.parameterFiles[missing[0]]})`);
  }
  return outputs;
}

function parseJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`executor output ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
