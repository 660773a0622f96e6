import { SdkError } from './errors';
import type { ParameterTypeName } from './parameter-types';
import type { PipelineTask } from './task';

/**
 * The compilation a channel belongs to. A channel (or task) leaked out of one `compilePipeline`
 * call is refused by the next, so a compile never depends on what ran before it.
 */
export type CompileScope = object;

export type ParameterSource =
  | { kind: 'pipelineInput'; name: string }
  | { kind: 'taskOutput'; task: PipelineTask; key: string };

/** A parameter known only at run time: a pipeline input or an upstream task's output. */
export class ParameterChannel<T extends ParameterTypeName = ParameterTypeName> {
  readonly kind = 'parameterChannel';

  constructor(
    readonly parameterType: T,
    readonly source: ParameterSource,
    readonly scope: CompileScope,
  ) {}

  /** Run-time values cannot be spliced into strings at compile time; pass them as task inputs. */
  toString(): string {
    throw new SdkError(`${describeChannel(this)} is a run-time value; pass it as a task input, not inside a string`);
  }
}

/** An artifact produced by an upstream task. */
export class ArtifactChannel<S extends string = string> {
  readonly kind = 'artifactChannel';

  constructor(
    readonly schemaTitle: S,
    readonly producer: PipelineTask,
    readonly key: string,
  ) {}

  get scope(): CompileScope {
    return this.producer.scope;
  }
}

/** How error messages name a channel. */
export function describeChannel(channel: ParameterChannel | ArtifactChannel): string {
  if (channel instanceof ArtifactChannel) {
    return `artifact output '${channel.key}' (${channel.schemaTitle}) of task '${channel.producer.name}'`;
  }
  const { source, parameterType } = channel;
  return source.kind === 'pipelineInput'
    ? `pipeline input '${source.name}' (${parameterType})`
    : `parameter output '${source.key}' (${parameterType}) of task '${source.task.name}'`;
}
