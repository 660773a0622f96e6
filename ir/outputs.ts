/**
 * A finished step's outputs, as KFP's launcher collects them: parameter files (plain text) and
 * the optional `executor_output.json`, whose values take precedence.
 */
import { z } from 'zod';
import { ExecutorOutputError } from './errors';
import { parameterFromText, typeMismatch } from './parameter-values';
import { ownValue } from './records';
import type { ArtifactRef, OutputDefinitions, ParameterType, ParameterValue } from './types';

/**
 * Reads a parameter file's text as `type`: STRING as-is, numbers parsed, BOOLEAN `true`/`false`
 * in any case, LIST and STRUCT as JSON.
 *
 * @param name the output's name, for the error message.
 * @throws ExecutorOutputError naming the parameter when the text does not fit the type.
 */
export function parseOutputParameter(text: string, type: ParameterType, name = 'output'): ParameterValue {
  try {
    return parameterFromText(text, type);
  } catch (error) {
    throw new ExecutorOutputError(`parameters.${name}`, `cannot read the output file as ${type}: ${(error as Error).message}`);
  }
}

const jsonValue: z.ZodType<ParameterValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(jsonValue)]),
);

// protobuf's JSON form of KFP's ExecutorOutput; unknown fields are ignored, as protojson would not be.
const executorOutputSchema = z.object({
  parameterValues: z.record(jsonValue).optional(),
  // The pre-2.0 form: one typed field per value; protojson writes int64 as a string.
  parameters: z
    .record(
      z.object({
        stringValue: z.string().optional(),
        intValue: z.union([z.number().int(), z.string().regex(/^-?\d+$/)]).optional(),
        doubleValue: z.number().optional(),
      }),
    )
    .optional(),
  artifacts: z
    .record(
      z.object({
        artifacts: z.array(z.object({ name: z.string().optional(), uri: z.string().optional(), metadata: z.record(jsonValue).optional() })),
      }),
    )
    .optional(),
});

type ExecutorOutput = z.infer<typeof executorOutputSchema>;

function legacyValue(value: NonNullable<ExecutorOutput['parameters']>[string]): ParameterValue | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.doubleValue;
}

/**
 * Combines a step's outputs the way KFP's launcher does. Parameters: values read from the
 * parameter files, overridden by `executor_output.json`'s legacy `parameters`, overridden by its
 * `parameterValues`. Artifacts: the planned artifacts, each given the URI (when non-empty) and
 * the metadata keys of the first artifact `executor_output.json` lists under that name. Names the
 * component does not declare are ignored, as in KFP.
 *
 * @param executorOutput the parsed `executor_output.json`, or undefined/null when the step wrote none.
 * @throws ExecutorOutputError naming the field when `executor_output.json` is malformed, a value
 *   does not fit its declared type, or a declared output parameter has no value at all (KFP fails
 *   the task when a parameter file is missing).
 */
export function mergeExecutorOutput(
  declared: OutputDefinitions,
  fromFiles: Record<string, ParameterValue>,
  executorOutput: unknown,
  outputArtifacts: Record<string, ArtifactRef[]>,
): { parameters: Record<string, ParameterValue>; artifacts: Record<string, ArtifactRef[]> } {
  const parsed = executorOutputSchema.safeParse(executorOutput ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExecutorOutputError(`executor_output.json ${issue.path.join('.') || '(top level)'}`, issue.message);
  }
  const output = parsed.data;
  const parameters: Record<string, ParameterValue> = {};
  for (const [name, { parameterType }] of Object.entries(declared.parameters ?? {})) {
    const legacy = ownValue(output.parameters, name);
    const sources: Array<[ParameterValue | undefined, string]> = [
      [ownValue(output.parameterValues, name), `executor_output.json parameterValues.${name}`],
      [legacy && legacyValue(legacy), `executor_output.json parameters.${name}`],
      [ownValue(fromFiles, name), `parameters.${name}`],
    ];
    const found = sources.find(([candidate]) => candidate !== undefined && candidate !== null);
    if (!found) throw new ExecutorOutputError(`parameters.${name}`, 'the step wrote no value for this declared output parameter');
    const [value, field] = found as [ParameterValue, string];
    const mismatch = typeMismatch(value, parameterType);
    if (mismatch) throw new ExecutorOutputError(field, `declared ${parameterType}: ${mismatch}`);
    parameters[name] = value;
  }
  const artifacts: Record<string, ArtifactRef[]> = {};
  for (const [name, refs] of Object.entries(outputArtifacts)) {
    const reported = ownValue(output.artifacts, name)?.artifacts[0];
    artifacts[name] = refs.map((ref) => ({
      ...ref,
      uri: reported?.uri ? reported.uri : ref.uri,
      metadata: { ...ref.metadata, ...reported?.metadata },
    }));
  }
  return { parameters, artifacts };
}
