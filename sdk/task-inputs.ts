import type { TaskInputArtifact, TaskInputParameter } from '../ir/types';
import { ArtifactDecl, isAcceptedSchema, type AcceptedSchema } from './artifact-types';
import { ArtifactChannel, describeChannel, ParameterChannel, type CompileScope } from './channels';
import type { InputDecls } from './declarations';
import { SdkError, type SdkErrorContext } from './errors';
import { ParamDecl, parameterValueProblem, type ParameterValueOf } from './parameter-types';
import { PipelineTask, type ResolvedInputs } from './task';

/** What a task input of declaration `D` accepts: a constant or channel of the same parameter type, or a compatible artifact. */
export type TaskArg<D> =
  D extends ParamDecl<infer T>
    ? ParameterValueOf[T] | ParameterChannel<T>
    : D extends ArtifactDecl<infer S>
      ? ArtifactChannel<AcceptedSchema<S>>
      : never;

type RequiredInputKeys<I extends InputDecls> = {
  [K in keyof I]-?: I[K] extends { isOptional: false } ? K : never;
}[keyof I];

type Simplify<T> = { [K in keyof T]: T[K] };

/** The argument object of a component call: required inputs must be given, optional ones may be. */
export type TaskArgs<I extends InputDecls> = Simplify<
  { [K in RequiredInputKeys<I>]: TaskArg<I[K]> } & { [K in Exclude<keyof I, RequiredInputKeys<I>>]?: TaskArg<I[K]> }
>;

/** A component call takes no argument object when every input is optional. */
export type TaskCallArgs<I extends InputDecls> = [RequiredInputKeys<I>] extends [never]
  ? [args?: TaskArgs<I>]
  : [args: TaskArgs<I>];

/**
 * Checks a component call's arguments against the component's declarations and turns them into
 * IR task inputs. This repeats at run time what `TaskArgs` checks at compile time, for callers
 * whose types were erased or cast away.
 * @throws SdkError naming the task and input: unknown or missing inputs, a parameter where an
 * artifact is declared or the reverse, mismatched types, channels from another compilation.
 */
export function resolveTaskInputs(
  decls: InputDecls,
  args: unknown,
  scope: CompileScope,
  context: SdkErrorContext,
): ResolvedInputs {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new SdkError('a component is called with one object of named inputs', context);
  }
  const given = args as Record<string, unknown>;
  const unknown = Object.keys(given).filter((name) => !Object.hasOwn(decls, name));
  if (unknown.length > 0) {
    const declared = Object.keys(decls).join(', ') || 'none';
    throw new SdkError(`the component has no such input (it declares: ${declared})`, { ...context, input: unknown[0] });
  }
  const resolved: ResolvedInputs & { producers: Set<PipelineTask> } = { parameters: {}, artifacts: {}, producers: new Set() };
  for (const [name, decl] of Object.entries(decls)) {
    const value = given[name];
    const where = { ...context, input: name };
    if (value === undefined) {
      if (!decl.isOptional) throw new SdkError('required input is missing', where);
      continue;
    }
    if (value instanceof PipelineTask) throw new SdkError(`got task '${value.name}'; pass one of its outputs (task.outputs.<name>)`, where);
    if ((value instanceof ParameterChannel || value instanceof ArtifactChannel) && value.scope !== scope) {
      throw new SdkError(`${describeChannel(value)} belongs to another pipeline compilation`, where);
    }
    if (decl instanceof ParamDecl) {
      resolved.parameters[name] = parameterInput(decl, value, resolved.producers, where);
    } else {
      resolved.artifacts[name] = artifactInput(decl, value, resolved.producers, where);
    }
  }
  return resolved;
}

function parameterInput(decl: ParamDecl, value: unknown, producers: Set<PipelineTask>, where: SdkErrorContext): TaskInputParameter {
  const expected = `a ${decl.parameterType} parameter`;
  if (value instanceof ArtifactChannel) throw new SdkError(`${expected} is declared, but got ${describeChannel(value)}`, where);
  if (value instanceof ParameterChannel) {
    if (value.parameterType !== decl.parameterType) {
      throw new SdkError(`${expected} is declared, but got ${describeChannel(value)}`, where);
    }
    const { source } = value;
    if (source.kind === 'pipelineInput') return { componentInputParameter: source.name };
    producers.add(source.task);
    return { taskOutputParameter: { producerTask: source.task.name, outputParameterKey: source.key } };
  }
  const problem = parameterValueProblem(decl.parameterType, value);
  if (problem) throw new SdkError(problem, where);
  return { runtimeValue: { constant: value as ParameterValueOf[typeof decl.parameterType] } };
}

function artifactInput(decl: ArtifactDecl, value: unknown, producers: Set<PipelineTask>, where: SdkErrorContext): TaskInputArtifact {
  const expected = `an artifact (${decl.schemaTitle})`;
  if (value instanceof ParameterChannel) throw new SdkError(`${expected} is declared, but got ${describeChannel(value)}`, where);
  if (!(value instanceof ArtifactChannel)) {
    throw new SdkError(`${expected} is declared; it takes an upstream task's artifact output, not the constant ${JSON.stringify(value) ?? String(value)}`, where);
  }
  if (!isAcceptedSchema(decl.schemaTitle, value.schemaTitle)) {
    throw new SdkError(`${expected} is declared, but got ${describeChannel(value)}`, where);
  }
  producers.add(value.producer);
  return { taskOutputArtifact: { producerTask: value.producer.name, outputArtifactKey: value.key } };
}
