import type { ArtifactDecl } from './artifact-types';
import type { InputDecls, OutputDecls } from './declarations';
import { ParamDecl } from './parameter-types';
import {
  ConcatArg,
  IfPresentArg,
  InputArtifactPlaceholder,
  InputParameterPlaceholder,
  OutputArtifactPlaceholder,
  OutputParameterPlaceholder,
  RuntimePlaceholders,
  type CommandArg,
} from './placeholders';

export type InputPlaceholders<I extends InputDecls> = {
  readonly [K in keyof I]: I[K] extends ArtifactDecl ? InputArtifactPlaceholder : InputParameterPlaceholder;
};

export type OutputPlaceholders<O extends OutputDecls> = {
  readonly [K in keyof O]: O[K] extends ArtifactDecl ? OutputArtifactPlaceholder : OutputParameterPlaceholder;
};

/** What a component's `command` and `args` functions build the command line from. */
export interface ComponentIO<I extends InputDecls, O extends OutputDecls> extends Readonly<typeof RuntimePlaceholders> {
  readonly inputs: InputPlaceholders<I>;
  readonly outputs: OutputPlaceholders<O>;
  /** The whole executor input as JSON (`{{$}}`), as KFP's Python executor expects it. */
  readonly executorInput: string;
  /**
   * Where the step may write KFP's `ExecutorOutput` JSON (`{{$.outputs.output_file}}`): artifact
   * metadata (metrics), and parameter values that then take precedence over the output files.
   */
  readonly outputFile: string;
  ifPresent(
    input: InputParameterPlaceholder | InputArtifactPlaceholder,
    then: CommandArg | CommandArg[],
    otherwise?: CommandArg | CommandArg[],
  ): IfPresentArg;
  concat(...parts: CommandArg[]): ConcatArg;
}

/** Builds the placeholders of a component's declared inputs and outputs. */
export function componentIO<I extends InputDecls, O extends OutputDecls>(inputs: I, outputs: O): ComponentIO<I, O> {
  return {
    ...RuntimePlaceholders,
    inputs: mapDecls(inputs, (name, decl) =>
      decl instanceof ParamDecl ? new InputParameterPlaceholder(name) : new InputArtifactPlaceholder(name),
    ) as InputPlaceholders<I>,
    outputs: mapDecls(outputs, (name, decl) =>
      decl instanceof ParamDecl ? new OutputParameterPlaceholder(name) : new OutputArtifactPlaceholder(name),
    ) as OutputPlaceholders<O>,
    executorInput: '{{$}}',
    outputFile: '{{$.outputs.output_file}}',
    ifPresent: (input, then, otherwise) => new IfPresentArg(input.inputName, then, otherwise),
    concat: (...parts) => new ConcatArg(parts),
  };
}

function mapDecls<D, P>(decls: Record<string, D>, make: (name: string, decl: D) => P): Record<string, P> {
  return Object.fromEntries(Object.entries(decls).map(([name, decl]) => [name, make(name, decl)]));
}
