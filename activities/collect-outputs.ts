import { mergeExecutorOutput, parseOutputParameter } from '../ir/outputs';
import type { ParameterValue } from '../ir/types';
import type { TaskOutputs } from '../ir/types';
import type { LaunchPlan } from './prepare-launch';
import { readFileInside } from './runners/safe-fs';
import type { TaskActivityInput } from './types';

/**
 * Reads what a successful step left behind, as KFP's launcher does: one file per output
 * parameter, then `executor_output.json`, which may set parameters and artifact metadata.
 * Throws, naming the output, when a declared output is missing or malformed, or is a symlink or
 * anything but a plain file inside the launch's own directory (the step wrote these files; the
 * worker that reads them is root). Reads asynchronously, so hundreds of finishing steps never
 * stall the worker's heartbeats.
 */
export async function collectOutputs(input: TaskActivityInput, plan: LaunchPlan): Promise<TaskOutputs> {
  const declared = input.outputDefinitions ?? {};
  const launchDir = plan.spec.workDir;
  const executorOutputText = (await readFileInside(launchDir, plan.executorOutputFile))?.toString('utf8');
  const executorOutput = executorOutputText === undefined ? undefined : parseJson(plan.executorOutputFile, executorOutputText);
  const fromFiles: Record<string, ParameterValue> = {};
  for (const [name, file] of Object.entries(plan.parameterFiles)) {
    const text = (await readFileInside(launchDir, file))?.toString('utf8');
    if (text === undefined) continue;
    const type = declared.parameters?.[name]?.parameterType ?? 'STRING';
    fromFiles[name] = parseOutputParameter(text, type);
  }
  const outputs = mergeExecutorOutput(declared, fromFiles, executorOutput, plan.outputArtifacts);
  const missing = Object.keys(declared.parameters ?? {}).filter((name) => !(name in outputs.parameters));
  if (missing.length) {
    throw new Error(`output parameter ${missing.map((m) => `'${m}'`).join(', ')} was not written (expected a file at ${plan.parameterFiles[missing[0]]})`);
  }
  return outputs;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`executor output ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
