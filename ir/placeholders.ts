/**
 * KFP's step contract: the `{{$...}}` placeholders in a container's command and args, the
 * structured `IfPresent`/`Concat` arguments, and the ExecutorInput JSON (`{{$}}`) that
 * lightweight Python components read. Pure, so the workflow can build a step's argv.
 *
 * Semantics follow KFP's driver and launcher (backend/src/v2/driver, component/launcher_v2.go):
 * a parameter is substituted as its text (strings as-is, other values as JSON); an input that has
 * no value is an error unless the argument sits under an `IfPresent` that checks it; artifact
 * paths are the URI mapped onto KFP's bucket mounts.
 */
import { PlaceholderError } from './errors';
import { parameterToText } from './parameter-values';
import { isPlainObject, ownValue } from './records';
import type { ArtifactRef, ParameterValue, StructuredArg } from './types';

/** Run-level values that placeholders and constant inputs may refer to. */
export interface RunPlaceholderValues {
  /** `{{$.pipeline_job_name}}`: the run's display name. */
  pipelineJobName: string;
  /** `{{$.pipeline_job_resource_name}}`: the run's unique resource name. */
  pipelineJobResourceName: string;
  /** `{{$.pipeline_job_uuid}}`: the run id. */
  pipelineJobUuid: string;
  /** `{{$.pipeline_task_name}}`: the task's name in the DAG. */
  pipelineTaskName: string;
  /** `{{$.pipeline_task_uuid}}`: the task's unique id within the run. */
  pipelineTaskUuid: string;
  /** `{{$.pipeline_root}}`: the root URI under which the run's artifacts live. */
  pipelineRoot: string;
  /** `{{$.pipeline_job_create_time_utc}}`, RFC 3339. */
  pipelineJobCreateTimeUtc: string;
  /** `{{$.pipeline_job_schedule_time_utc}}`, RFC 3339; the create time for a run that was not scheduled. */
  pipelineJobScheduleTimeUtc: string;
  /** `{{$.workspace_path}}`: where the run's shared workspace is mounted; absent when the run has none. */
  workspacePath?: string;
}

export interface PlaceholderContext extends RunPlaceholderValues {
  /** The task's resolved inputs (see `resolveTaskInputs`); an optional input with no value is absent. */
  inputs: { parameters: Record<string, ParameterValue>; artifacts: Record<string, ArtifactRef[]> };
  /** Every declared output: the file each parameter is written to, the planned artifacts, and where `executor_output.json` goes. */
  outputs: { parameters: Record<string, { outputFile: string }>; artifacts: Record<string, ArtifactRef[]>; outputFile: string };
}

/** KFP's `RuntimeArtifact` as it appears in ExecutorInput JSON. */
export interface RuntimeArtifactJson {
  name: string;
  type: { schemaTitle: string; schemaVersion: string };
  uri: string;
  metadata: Record<string, ParameterValue>;
}

/** KFP's `ExecutorInput` message in its JSON form, which `kfp.dsl.executor_main` reads. */
export interface ExecutorInputJson {
  inputs: {
    parameterValues: Record<string, ParameterValue>;
    artifacts: Record<string, { artifacts: RuntimeArtifactJson[] }>;
  };
  outputs: {
    parameters: Record<string, { outputFile: string }>;
    artifacts: Record<string, { artifacts: RuntimeArtifactJson[] }>;
    outputFile: string;
  };
}

// `{{$}}` and `{{$.<expression>}}`; an expression never contains braces.
const PLACEHOLDER = /\{\{\$([^{}]*)\}\}/g;
const IO_REFERENCE = /^\.(inputs|outputs)\.(parameters|artifacts)\[(?:'([^']*)'|"([^"]*)")\](?:\.(\w+))?$/;
const INPUT_PARAMETER_REFERENCE = /\{\{\$\.inputs\.parameters\[(?:'([^']*)'|"([^"]*)")\]\}\}/g;
const STRUCTURED_ARG = /^\s*\{\s*"(IfPresent|Concat)"\s*:/;

const RUN_PLACEHOLDERS: Record<string, keyof RunPlaceholderValues> = {
  '.pipeline_job_name': 'pipelineJobName',
  '.pipeline_job_resource_name': 'pipelineJobResourceName',
  '.pipeline_job_uuid': 'pipelineJobUuid',
  '.pipeline_task_name': 'pipelineTaskName',
  '.pipeline_task_uuid': 'pipelineTaskUuid',
  '.pipeline_root': 'pipelineRoot',
  '.pipeline_job_create_time_utc': 'pipelineJobCreateTimeUtc',
  '.pipeline_job_schedule_time_utc': 'pipelineJobScheduleTimeUtc',
  '.workspace_path': 'workspacePath',
};

// KFP's launcher mounts these buckets into the step (LocalPathForURI).
const BUCKET_MOUNTS: ReadonlyArray<[scheme: string, mount: string]> = [
  ['gs://', '/gcs/'],
  ['s3://', '/s3/'],
  ['minio://', '/minio/'],
];

/**
 * The local path a step sees for an artifact URI: an absolute path (the local artifact store's
 * URIs) as-is, a bucket URI under KFP's mount (`gs://b/k` is `/gcs/b/k`), otherwise undefined.
 */
export function artifactLocalPath(uri: string): string | undefined {
  if (uri.startsWith('/')) return uri;
  const mount = BUCKET_MOUNTS.find(([scheme]) => uri.startsWith(scheme));
  return mount && mount[1] + uri.slice(mount[0].length);
}

/** Names of the input parameters `text` refers to with `{{$.inputs.parameters['name']}}`, in order. */
export function inputParameterReferences(text: string): string[] {
  return [...text.matchAll(INPUT_PARAMETER_REFERENCE)].map((match) => match[1] ?? match[2]);
}

/** `text` with each `{{$.inputs.parameters['name']}}` replaced by `valueOf(name)`; other text is kept. */
export function substituteInputParameters(text: string, valueOf: (name: string) => string): string {
  return text.replace(INPUT_PARAMETER_REFERENCE, (_placeholder: string, single?: string, double?: string) => valueOf(single ?? double ?? ''));
}

/** The value of a run-level placeholder, or undefined when `expression` is not one. */
function runValue(placeholder: string, expression: string, run: RunPlaceholderValues): string | undefined {
  if (!Object.hasOwn(RUN_PLACEHOLDERS, expression)) return undefined;
  const value = run[RUN_PLACEHOLDERS[expression]];
  // Only the workspace path is optional among the run's values.
  if (value === undefined) throw new PlaceholderError(placeholder, 'this run has no workspace (the pipeline configures none)');
  return value;
}

/**
 * Resolves placeholders inside a constant input value, as KFP's driver does before the step
 * starts: run-level ones (`{{$.pipeline_job_uuid}}`, `{{$.workspace_path}}`, ...) and
 * `{{$.inputs.parameters['x']}}`, which the kfp compiler emits for f-strings over pipeline
 * values (`'Hello {}'.format(name)` becomes `Hello {{$.inputs.parameters['pipelinechannel--name']}}`
 * plus an input `pipelinechannel--name`) and which reads the task's other inputs. KFP's driver
 * replaces run placeholders only when they are the whole value; here they are replaced anywhere,
 * so `run-{{$.pipeline_job_uuid}}` works too. Other text is left as it is.
 *
 * @param run the run's values; when absent, a run placeholder is an error.
 * @param inputs the task's other input parameters, before this resolution.
 * @throws PlaceholderError naming a placeholder that cannot be resolved.
 */
export function resolveConstantPlaceholders(
  text: string,
  run: RunPlaceholderValues | undefined,
  inputs: Record<string, ParameterValue>,
): string {
  return text.replace(PLACEHOLDER, (placeholder: string, expression: string) => {
    if (!run && Object.hasOwn(RUN_PLACEHOLDERS, expression)) {
      throw new PlaceholderError(placeholder, 'needs the run context, which was not given');
    }
    const value = run && runValue(placeholder, expression, run);
    if (value !== undefined) return value;
    const reference = IO_REFERENCE.exec(expression);
    if (reference && reference[1] === 'inputs' && reference[2] === 'parameters' && reference[5] === undefined) {
      return inputParameterText(placeholder, reference[3] ?? reference[4], inputs);
    }
    return placeholder;
  });
}

function noValue(what: string, name: string): string {
  return (
    `${what} "${name}" has no value: the component does not declare it, ` +
    'or it is optional and was not supplied (put the argument under IfPresent)'
  );
}

// KFP's driver substitutes a null value (an optional pipeline input left unset) as empty text.
function inputParameterText(placeholder: string, name: string, parameters: Record<string, ParameterValue>): string {
  const value = ownValue(parameters, name);
  if (value === null) return '';
  if (value === undefined) {
    throw new PlaceholderError(placeholder, noValue('input parameter', name));
  }
  return parameterToText(value);
}

function runtimeArtifact(ref: ArtifactRef): RuntimeArtifactJson {
  return {
    name: ref.name,
    type: { schemaTitle: ref.schemaTitle, schemaVersion: ref.schemaVersion },
    uri: ref.uri,
    metadata: ref.metadata,
  };
}

function artifactLists(artifacts: Record<string, ArtifactRef[]>): Record<string, { artifacts: RuntimeArtifactJson[] }> {
  return Object.fromEntries(Object.entries(artifacts).map(([name, refs]) => [name, { artifacts: refs.map(runtimeArtifact) }]));
}

/**
 * KFP's ExecutorInput for the step: what `{{$}}` expands to. Input parameters that are null
 * count as absent, as in KFP's driver.
 */
export function buildExecutorInput(ctx: PlaceholderContext): ExecutorInputJson {
  const parameterValues = Object.fromEntries(
    Object.entries(ctx.inputs.parameters).filter(([, value]) => value !== null && value !== undefined),
  );
  return {
    inputs: { parameterValues, artifacts: artifactLists(ctx.inputs.artifacts) },
    outputs: {
      parameters: Object.fromEntries(Object.entries(ctx.outputs.parameters).map(([name, { outputFile }]) => [name, { outputFile }])),
      artifacts: artifactLists(ctx.outputs.artifacts),
      outputFile: ctx.outputs.outputFile,
    },
  };
}

/**
 * Resolves a container's `command` or `args` into argv entries. Each plain string stays one
 * entry with its placeholders substituted (also inside longer text: `--lr={{$.inputs.parameters['lr']}}`);
 * `IfPresent` contributes its Then or Else entries (none when that branch is absent); `Concat`
 * joins its resolved parts into one entry. Structured arguments may be objects or the JSON
 * strings kfp's compiler writes, and may nest. Nothing is joined into a shell string.
 *
 * @throws PlaceholderError for an unknown placeholder, a malformed structured argument, or a
 *   reference to an input or output that has no value.
 */
export function resolveArgs(list: readonly StructuredArg[] | undefined, ctx: PlaceholderContext): string[] {
  const resolver = new ArgResolver(ctx);
  return (list ?? []).flatMap((item) => resolver.resolve(item));
}

class ArgResolver {
  private executorInputJson: string | undefined;

  constructor(private readonly ctx: PlaceholderContext) {}

  resolve(item: unknown): string[] {
    const arg = typeof item === 'string' && STRUCTURED_ARG.test(item) ? parseStructured(item) : item;
    if (typeof arg === 'string') return [this.substitute(arg)];
    if (isPlainObject(arg) && 'IfPresent' in arg) return this.ifPresent(arg.IfPresent);
    if (isPlainObject(arg) && 'Concat' in arg) return [this.concat(arg.Concat)];
    throw new PlaceholderError(JSON.stringify(arg), 'is not a string, an IfPresent or a Concat argument');
  }

  private ifPresent(spec: unknown): string[] {
    if (!isPlainObject(spec) || typeof spec.InputName !== 'string') {
      throw new PlaceholderError(JSON.stringify({ IfPresent: spec }), 'IfPresent needs an InputName');
    }
    const branch = this.hasInput(spec.InputName) ? spec.Then : spec.Else;
    if (branch === undefined || branch === null) return [];
    return Array.isArray(branch) ? branch.flatMap((part) => this.resolve(part)) : this.resolve(branch);
  }

  private concat(parts: unknown): string {
    if (!Array.isArray(parts)) throw new PlaceholderError(JSON.stringify({ Concat: parts }), 'Concat needs a list');
    return parts.map((part) => this.resolve(part).join('')).join('');
  }

  /** An input is present when it has a non-null parameter value or at least one artifact. */
  private hasInput(name: string): boolean {
    const value = ownValue(this.ctx.inputs.parameters, name);
    return (value !== undefined && value !== null) || (ownValue(this.ctx.inputs.artifacts, name)?.length ?? 0) > 0;
  }

  private substitute(text: string): string {
    // One pass: substituted values are never scanned again, so a value containing "{{$" stays as it is.
    return text.replace(PLACEHOLDER, (placeholder: string, expression: string) => this.placeholder(placeholder, expression));
  }

  private placeholder(placeholder: string, expression: string): string {
    if (expression === '') return (this.executorInputJson ??= JSON.stringify(buildExecutorInput(this.ctx)));
    if (expression === '.outputs.output_file') return this.ctx.outputs.outputFile;
    const run = runValue(placeholder, expression, this.ctx);
    if (run !== undefined) return run;
    const reference = IO_REFERENCE.exec(expression);
    if (!reference) throw new PlaceholderError(placeholder, 'unknown placeholder');
    const [, side, kind, single, double, attribute] = reference;
    const name = single ?? double;
    if (side === 'inputs' && kind === 'parameters' && attribute === undefined) {
      return inputParameterText(placeholder, name, this.ctx.inputs.parameters);
    }
    if (side === 'outputs' && kind === 'parameters' && attribute === 'output_file') {
      const output = ownValue(this.ctx.outputs.parameters, name);
      if (!output) throw new PlaceholderError(placeholder, `the component declares no output parameter "${name}"`);
      return output.outputFile;
    }
    if (kind === 'artifacts' && (attribute === 'path' || attribute === 'uri' || (side === 'inputs' && attribute === 'metadata'))) {
      return this.artifactAttribute(placeholder, side, name, attribute);
    }
    throw new PlaceholderError(placeholder, 'unknown placeholder');
  }

  private artifactAttribute(placeholder: string, side: string, name: string, attribute: 'path' | 'uri' | 'metadata'): string {
    // KFP passes the first artifact of a list to these placeholders.
    const artifact = ownValue((side === 'inputs' ? this.ctx.inputs : this.ctx.outputs).artifacts, name)?.[0];
    if (!artifact) {
      const reason = side === 'inputs' ? noValue('input artifact', name) : `the component declares no output artifact "${name}"`;
      throw new PlaceholderError(placeholder, reason);
    }
    if (attribute === 'uri') return artifact.uri;
    if (attribute === 'metadata') return JSON.stringify(artifact.metadata);
    const path = artifactLocalPath(artifact.uri);
    if (path !== undefined) return path;
    const expected = `an absolute path or a ${BUCKET_MOUNTS.map(([scheme]) => scheme).join(', ')} URI`;
    throw new PlaceholderError(placeholder, `artifact URI "${artifact.uri}" has no local path (expected ${expected})`);
  }
}

function parseStructured(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PlaceholderError(text, 'looks like an IfPresent or Concat argument but is not valid JSON');
  }
}
