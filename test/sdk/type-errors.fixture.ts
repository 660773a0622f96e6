/**
 * Mistakes the SDK's types turn into compile errors. Each `@ts-expect-error TSnnnn` marks a line
 * that must fail to type-check with that error code; type-errors.test.ts checks both that the
 * line fails and why. Lines without a marker must type-check.
 */
import { Artifact, Dataset, Model, Param, containerComponent, pipeline } from '../../sdk';

const produce = containerComponent({
  name: 'produce',
  image: 'alpine',
  outputs: { data: Dataset, model: Model, count: Param.int(), score: Param.double(), any: Artifact },
  command: (io) => ['produce', io.outputs.data.path, io.outputs.count.outputFile],
});

const consume = containerComponent({
  name: 'consume',
  image: 'alpine',
  inputs: { data: Dataset, n: Param.int(), label: Param.string('x'), ratio: Param.double().optional() },
  command: (io) => ['consume', io.inputs.data.path, io.inputs.n],
});

const anything = containerComponent({
  name: 'anything',
  image: 'alpine',
  inputs: { thing: Artifact },
  command: (io) => ['cat', io.inputs.thing.path],
});

export const wiring = pipeline({ name: 'wiring', inputs: { n: Param.int(1), text: Param.string() } }, (inputs) => {
  const p = produce();
  // Well-typed calls: optional inputs left out, channels and constants of the right kinds.
  consume({ data: p.outputs.data, n: p.outputs.count });
  consume({ data: p.outputs.any, n: inputs.n, label: inputs.text, ratio: 0.5 });
  anything({ thing: p.outputs.model });
  // @ts-expect-error TS2322 an artifact output wired into a parameter input
  consume({ data: p.outputs.data, n: p.outputs.data });
  // @ts-expect-error TS2739 a parameter output wired into an artifact input
  consume({ data: p.outputs.count, n: 1 });
  // @ts-expect-error TS2322 a Model wired into a Dataset input
  consume({ data: p.outputs.model, n: 1 });
  // @ts-expect-error TS2322 a double output wired into an int input
  consume({ data: p.outputs.data, n: p.outputs.score });
  // @ts-expect-error TS2322 a string constant for an int input
  consume({ data: p.outputs.data, n: '3' });
  // @ts-expect-error TS2322 a string pipeline input for an int input
  consume({ data: p.outputs.data, n: inputs.text });
  // @ts-expect-error TS2345 a required input left out
  consume({ n: 1 });
  // @ts-expect-error TS2554 no arguments although some inputs are required
  consume();
  // @ts-expect-error TS2353 an input the component does not declare
  consume({ data: p.outputs.data, n: 1, extra: 2 });
  // @ts-expect-error TS2739 a task instead of one of its outputs
  consume({ data: p, n: 1 });
  // @ts-expect-error TS2339 an output the component does not declare
  void p.outputs.missing;
  // @ts-expect-error TS2339 a pipeline input that was not declared
  void inputs.missing;
  // @ts-expect-error TS2322 a duration without a unit
  p.setRetry({ maxRetryCount: 2, backoffDuration: '5 minutes' });
});

// @ts-expect-error TS1117 duplicate pipeline input names
export const duplicate = pipeline({ name: 'dup', inputs: { a: Param.int(), a: Param.int() } }, () => undefined);

// @ts-expect-error TS2741 pipeline inputs are parameters, not artifacts
export const artifactInput = pipeline({ name: 'art', inputs: { d: Dataset } }, () => undefined);

export const badComponents = [
  containerComponent({
    name: 'output-default',
    image: 'alpine',
    // @ts-expect-error TS2322 outputs cannot have defaults
    outputs: { n: Param.int(3) },
    command: () => ['true'],
  }),
  containerComponent({
    name: 'optional-output',
    image: 'alpine',
    // @ts-expect-error TS2322 outputs cannot be optional
    outputs: { d: Dataset.optional() },
    command: () => ['true'],
  }),
  containerComponent({
    name: 'bad-args',
    image: 'alpine',
    inputs: { d: Dataset, n: Param.int() },
    outputs: { m: Model, k: Param.int() },
    command: (io) => [
      // @ts-expect-error TS2322 an artifact input is not an argument; its .path or .uri is
      io.inputs.d,
      // @ts-expect-error TS2322 an artifact output is not an argument; its .path or .uri is
      io.outputs.m,
      // @ts-expect-error TS2322 an output parameter is not an argument; its .outputFile is
      io.outputs.k,
      // @ts-expect-error TS2322 arguments are strings, not numbers
      5,
    ],
  }),
  containerComponent({
    name: 'unknown-input',
    image: 'alpine',
    inputs: { n: Param.int() },
    // @ts-expect-error TS2339 an input the component does not declare
    command: (io) => ['echo', String(io.inputs.missing)],
  }),
  // @ts-expect-error TS2345 default values must have the parameter's type
  containerComponent({ name: 'bad-default', image: 'alpine', inputs: { n: Param.int('3') }, command: () => ['true'] }),
];
