import type { ComponentSpec, ExecutorSpec } from '../ir/types';
import { toArtifactSpec, type ArtifactDecl } from './artifact-types';
import { activeBuilder } from './build-context';
import { componentIO, type ComponentIO } from './component-io';
import { checkDecls, type InputDecls, type NoDecls, type OutputDecls } from './declarations';
import { SdkError, type SdkErrorContext } from './errors';
import { executorKey, kfpName } from './naming';
import { ParamDecl, toParameterSpec } from './parameter-types';
import type { CommandArg } from './placeholders';
import { renderCommandLine } from './render-args';
import type { PipelineTask } from './task';
import type { TaskCallArgs } from './task-inputs';

export interface ContainerComponentOptions<I extends InputDecls, O extends OutputDecls> {
  /** The component's name; its tasks are named after it (KFP-sanitized: lowercase, `-`). */
  name: string;
  /** The image recorded in the spec (the local runner runs the command on the host instead). */
  image: string;
  inputs?: I;
  outputs?: O;
  /** Called at compile time with the placeholders of the declared inputs and outputs. */
  command: (io: ComponentIO<I, O>) => CommandArg[];
  args?: (io: ComponentIO<I, O>) => CommandArg[];
  /** Environment variables of the container, in this order. */
  env?: Record<string, string>;
}

/** A component with its types erased, as the compiler handles it. */
export interface ComponentDefinition {
  readonly name: string;
  readonly image: string;
  readonly inputs: InputDecls;
  readonly outputs: OutputDecls;
  command(io: ComponentIO<InputDecls, OutputDecls>): CommandArg[];
  args?(io: ComponentIO<InputDecls, OutputDecls>): CommandArg[];
  readonly env?: Record<string, string>;
}

/** A container component: call it inside a pipeline body to add a task. */
export type ContainerComponent<I extends InputDecls = InputDecls, O extends OutputDecls = OutputDecls> = (
  ...args: TaskCallArgs<I>
) => PipelineTask<O>;

/**
 * Defines a container component (KFP's `@dsl.container_component`).
 * @throws SdkError when the name, image, declarations or env are invalid.
 */
export function containerComponent<I extends InputDecls = NoDecls, O extends OutputDecls = NoDecls>(
  options: ContainerComponentOptions<I, O>,
): ContainerComponent<I, O> {
  const definition = checkedDefinition(options as unknown as ContainerComponentOptions<InputDecls, OutputDecls>);
  const call = (args: unknown = {}) => activeBuilder(definition.name).addTask(definition, args);
  return call as ContainerComponent<I, O>;
}

function checkedDefinition(options: ContainerComponentOptions<InputDecls, OutputDecls>): ComponentDefinition {
  const { name, image, inputs = {}, outputs = {}, command, args, env } = options;
  const context: SdkErrorContext = { component: String(name) };
  if (typeof name !== 'string' || kfpName(name) === '') {
    throw new SdkError('a component needs a name with at least one letter or digit', context);
  }
  if (typeof image !== 'string' || image.trim() === '') throw new SdkError('a component needs an image', context);
  if (typeof command !== 'function' || (args !== undefined && typeof args !== 'function')) {
    throw new SdkError('command and args are functions of the component io', context);
  }
  checkDecls(inputs, 'input', context);
  checkDecls(outputs, 'output', context);
  const clash = Object.keys(inputs).find((key) => Object.hasOwn(outputs, key));
  if (clash) throw new SdkError(`'${clash}' is both an input and an output`, context);
  for (const [key, value] of Object.entries(env ?? {})) {
    if (typeof value !== 'string') throw new SdkError(`env ${key} must be a string`, context);
  }
  return { name, image, inputs, outputs, command, args, env };
}

/**
 * The component and executor a task of `definition` compiles to (KFP writes one of each per task).
 * Empty lists are left out, as protobuf JSON leaves them out.
 */
export function renderComponent(
  definition: ComponentDefinition,
  taskName: string,
  context: SdkErrorContext,
): { component: ComponentSpec; executor: ExecutorSpec } {
  const io = componentIO(definition.inputs, definition.outputs);
  const command = renderCommandLine(definition.command(io), definition.inputs, context);
  const args = definition.args ? renderCommandLine(definition.args(io), definition.inputs, context) : [];
  const env = Object.entries(definition.env ?? {}).map(([name, value]) => ({ name, value }));
  return {
    component: {
      executorLabel: executorKey(taskName),
      ...definitions('inputDefinitions', definition.inputs),
      ...definitions('outputDefinitions', definition.outputs),
    },
    executor: {
      container: {
        image: definition.image,
        ...(command.length > 0 && { command }),
        ...(args.length > 0 && { args }),
        ...(env.length > 0 && { env }),
      },
    },
  };
}

/** `inputDefinitions`/`outputDefinitions`, leaving out empty halves as protobuf JSON does. */
function definitions(field: 'inputDefinitions' | 'outputDefinitions', decls: InputDecls): Partial<ComponentSpec> {
  const entries = Object.entries(decls);
  const parameters = entries.filter((e): e is [string, ParamDecl] => e[1] instanceof ParamDecl);
  const artifacts = entries.filter((e): e is [string, ArtifactDecl] => !(e[1] instanceof ParamDecl));
  if (entries.length === 0) return {};
  return {
    [field]: {
      ...(parameters.length > 0 && {
        parameters: Object.fromEntries(parameters.map(([name, decl]) => [name, toParameterSpec(decl)])),
      }),
      ...(artifacts.length > 0 && {
        artifacts: Object.fromEntries(artifacts.map(([name, decl]) => [name, toArtifactSpec(decl)])),
      }),
    },
  };
}
