import type { ParameterChannel } from './channels';
import type { NoDecls, PipelineInputDecls } from './declarations';
import type { ParamDecl } from './parameter-types';

/** The pipeline inputs a body receives: one channel per declared input, typed by its declaration. */
export type PipelineInputs<I extends PipelineInputDecls> = {
  readonly [K in keyof I]: I[K] extends ParamDecl<infer T> ? ParameterChannel<T> : never;
};

export interface PipelineOptions<I extends PipelineInputDecls> {
  /** KFP pipeline name: lowercase letters, digits and `-`, at most 128 characters. */
  name: string;
  description?: string;
  /** The run parameters; those with defaults (or `.optional()`) may be left out when starting a run. */
  inputs?: I;
}

/**
 * A pipeline definition. Its body runs only when `compilePipeline` walks it, and again on each
 * compile, so defining a pipeline has no side effects.
 */
export interface Pipeline<I extends PipelineInputDecls = PipelineInputDecls> {
  readonly name: string;
  readonly description?: string;
  readonly inputs: I;
  /** Method syntax on purpose: it makes any `Pipeline<I>` usable where a `Pipeline` is expected. */
  body(inputs: PipelineInputs<I>): void;
}

/** Defines a pipeline (KFP's `@dsl.pipeline`): a name, typed inputs, and a body that calls components. */
export function pipeline<I extends PipelineInputDecls = NoDecls>(
  options: PipelineOptions<I>,
  body: (inputs: PipelineInputs<I>) => void,
): Pipeline<I> {
  return {
    name: options.name,
    ...(options.description !== undefined && { description: options.description }),
    inputs: options.inputs ?? ({} as I),
    body,
  };
}
