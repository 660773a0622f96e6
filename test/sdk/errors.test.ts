/**
 * Runtime errors: mistakes the types catch are caught again when types are erased or cast away
 * (`as never` below), and mistakes no type can catch are caught at all. Each SdkError names
 * where it happened.
 */
import {
  Dataset,
  Model,
  Param,
  SdkError,
  compilePipeline,
  containerComponent,
  pipeline,
} from '../../sdk';

const produce = containerComponent({
  name: 'produce',
  image: 'alpine',
  outputs: { data: Dataset, model: Model, count: Param.int() },
  command: () => ['produce'],
});

const consume = containerComponent({
  name: 'consume',
  image: 'alpine',
  inputs: { data: Dataset, n: Param.int(), flag: Param.bool(true) },
  command: (io) => ['consume', io.inputs.data.path, io.inputs.n],
});

/** Compiles a one-off pipeline whose body is `body`. */
function compileBody(body: () => void) {
  return compilePipeline(pipeline({ name: 'errors', inputs: { text: Param.string('t') } }, body));
}

/** Wiring mistakes, each with the inputs passed to `consume` and the message it must raise. */
const wiring: [string, (p: ReturnType<typeof produce>) => object, string][] = [
  [
    'an artifact into a parameter input',
    (p) => ({ data: p.outputs.data, n: p.outputs.data }),
    "pipeline 'errors', task 'consume', input 'n': a NUMBER_INTEGER parameter is declared, but got artifact output 'data' (system.Dataset) of task 'produce'",
  ],
  [
    'a parameter into an artifact input',
    (p) => ({ data: p.outputs.count, n: 1 }),
    "input 'data': an artifact (system.Dataset) is declared, but got parameter output 'count' (NUMBER_INTEGER) of task 'produce'",
  ],
  [
    'a Model into a Dataset input',
    (p) => ({ data: p.outputs.model, n: 1 }),
    "input 'data': an artifact (system.Dataset) is declared, but got artifact output 'model' (system.Model) of task 'produce'",
  ],
  ['a missing required input', (p) => ({ data: p.outputs.data }), "pipeline 'errors', task 'consume', input 'n': required input is missing"],
  ['an unknown input', (p) => ({ data: p.outputs.data, n: 1, nope: 2 }), "task 'consume', input 'nope': the component has no such input (it declares: data, n, flag)"],
  ['a fractional int', (p) => ({ data: p.outputs.data, n: 1.5 }), "input 'n': 1.5 is not a valid NUMBER_INTEGER value"],
  ['a string for a bool', (p) => ({ data: p.outputs.data, n: 1, flag: 'yes' }), `input 'flag': "yes" is not a valid BOOLEAN value`],
  ['a constant for an artifact', () => ({ data: 'gs://x', n: 1 }), `input 'data': an artifact (system.Dataset) is declared; it takes an upstream task's artifact output, not the constant "gs://x"`],
  ['a task for an output', (p) => ({ data: p, n: 1 }), "input 'data': got task 'produce'; pass one of its outputs (task.outputs.<name>)"],
];

describe('wiring with erased types', () => {
  test.each(wiring)('%s', (_name, args, message) => {
    const attempt = () => compileBody(() => void consume(args(produce()) as never));
    expect(attempt).toThrow(SdkError);
    expect(attempt).toThrow(message);
  });

  test('a pipeline input of the wrong type', () => {
    const attempt = () =>
      compilePipeline(
        pipeline({ name: 'typed', inputs: { text: Param.string() } }, ({ text }) => void consume({ data: produce().outputs.data, n: text as never })),
      );
    expect(attempt).toThrow("input 'n': a NUMBER_INTEGER parameter is declared, but got pipeline input 'text' (STRING)");
  });

  test('the error carries the task and input as fields', () => {
    try {
      compileBody(() => void consume({ data: produce().outputs.data } as never));
      throw new Error('expected an SdkError');
    } catch (error) {
      expect(error).toMatchObject({ name: 'SdkError', pipeline: 'errors', task: 'consume', input: 'n' });
    }
  });
});

describe('pipeline structure', () => {
  test('a component called outside a pipeline body', () => {
    expect(() => produce()).toThrow("component 'produce': components can only be called inside a pipeline body");
  });

  test('a task or channel leaked from another compilation', () => {
    let leaked: ReturnType<typeof produce> | undefined;
    compileBody(() => void (leaked = produce()));
    expect(() => compileBody(() => void consume({ data: leaked!.outputs.data, n: 1 }))).toThrow(
      "input 'data': artifact output 'data' (system.Dataset) of task 'produce' belongs to another pipeline compilation",
    );
    expect(() => compileBody(() => void produce().after(leaked!))).toThrow(
      "task 'produce': .after() takes tasks of the same pipeline body",
    );
  });

  test('a dependency cycle through .after()', () => {
    const attempt = () =>
      compileBody(() => {
        const p = produce();
        const c = consume({ data: p.outputs.data, n: 1 });
        p.after(c);
      });
    expect(attempt).toThrow("pipeline 'errors', task 'produce': dependency cycle: produce -> consume -> produce");
  });

  test('a task after itself', () => {
    expect(() =>
      compileBody(() => {
        const p = produce();
        p.after(p);
      }),
    ).toThrow("task 'produce': a task cannot run after itself");
  });

  test('an empty pipeline', () => {
    expect(() => compileBody(() => undefined)).toThrow("pipeline 'errors': a pipeline needs at least one task");
  });

  test('an asynchronous body', () => {
    expect(() => compileBody((async () => void produce()) as never)).toThrow('a pipeline body must be synchronous');
  });

  test('compiling inside a pipeline body', () => {
    const inner = pipeline({ name: 'inner' }, () => void produce());
    expect(() => compileBody(() => void compilePipeline(inner))).toThrow(
      "pipeline 'inner': pipelines cannot be compiled inside the body of another (pipeline 'errors')",
    );
  });

  test('an invalid pipeline name', () => {
    expect(() => compilePipeline(pipeline({ name: 'My Pipeline' }, () => void produce()))).toThrow(
      'invalid pipeline name "My Pipeline": it must match ^[a-z0-9][a-z0-9-]{0,127}$',
    );
  });

  test('a pipeline input that is an artifact', () => {
    const attempt = () => compilePipeline(pipeline({ name: 'art', inputs: { d: Dataset as never } }, () => void produce()));
    expect(attempt).toThrow("pipeline 'art', input 'd': pipeline inputs must be parameters");
  });

  test('a pipeline input name that is not an identifier', () => {
    const attempt = () => compilePipeline(pipeline({ name: 'names', inputs: { 'learning-rate': Param.double(0.1) } }, () => void produce()));
    expect(attempt).toThrow("pipeline 'names', input 'learning-rate': pipeline input names must be identifiers");
  });

  test('a run-time value spliced into a string', () => {
    const attempt = () => compileBody(() => void consume({ data: produce().outputs.data, n: 1, flag: `${produce().outputs.count}` as never }));
    expect(attempt).toThrow("parameter output 'count' (NUMBER_INTEGER) of task 'produce-2' is a run-time value; pass it as a task input");
  });
});

describe('component definitions', () => {
  test('an output with a default', () => {
    const attempt = () => containerComponent({ name: 'c', image: 'alpine', outputs: { n: Param.int(3) as never }, command: () => ['true'] });
    expect(attempt).toThrow("component 'c', output 'n': outputs cannot be optional or have defaults");
  });

  test('a default of the wrong type', () => {
    const attempt = () => containerComponent({ name: 'c', image: 'alpine', inputs: { n: Param.int('3' as never) }, command: () => ['true'] });
    expect(attempt).toThrow(`component 'c', input 'n': default: "3" is not a valid NUMBER_INTEGER value`);
  });

  test('a name with no letters or digits, and a missing image', () => {
    expect(() => containerComponent({ name: '--', image: 'alpine', command: () => ['true'] })).toThrow('a component needs a name');
    expect(() => containerComponent({ name: 'c', image: ' ', command: () => ['true'] })).toThrow("component 'c': a component needs an image");
  });

  test('a name used for an input and an output', () => {
    const attempt = () =>
      containerComponent({ name: 'c', image: 'alpine', inputs: { x: Param.int() }, outputs: { x: Param.int() }, command: () => ['true'] });
    expect(attempt).toThrow("component 'c': 'x' is both an input and an output");
  });
});

describe('command lines', () => {
  /** Compiles a pipeline with one task of a component whose command is `command`. */
  function compileCommand(command: (io: never) => unknown[]) {
    const component = containerComponent({
      name: 'Cmd Line',
      image: 'alpine',
      inputs: { d: Dataset.optional(), n: Param.int().optional() },
      outputs: { m: Model },
      command: command as never,
    });
    return () => compilePipeline(pipeline({ name: 'cmd' }, () => void component()));
  }

  test('a number, an artifact placeholder or an output object', () => {
    expect(compileCommand(() => ['echo', 5])).toThrow("pipeline 'cmd', task 'cmd-line', component 'Cmd Line': 5 is not a command-line argument");
    expect(compileCommand((io: { inputs: { d: object } }) => [io.inputs.d])).toThrow("a placeholder of kind 'inputArtifact' is not a command-line argument");
    expect(compileCommand((io: { outputs: { m: object } }) => [io.outputs.m])).toThrow("a placeholder of kind 'outputArtifact' is not a command-line argument");
  });

  test('a list-valued IfPresent inside Concat (KFP rejects it too)', () => {
    type IO = { inputs: { n: object }; ifPresent: (...a: unknown[]) => object; concat: (...a: unknown[]) => object };
    const attempt = compileCommand((io: IO) => [io.concat('x', io.ifPresent(io.inputs.n, ['a', 'b']))]);
    expect(attempt).toThrow('io.ifPresent inside io.concat must have single-element then/else branches');
  });

  test('a structured argument spliced into a string', () => {
    type IO = { inputs: { n: object }; ifPresent: (...a: unknown[]) => object };
    expect(compileCommand((io: IO) => [`--n ${io.ifPresent(io.inputs.n, 'x')}`])).toThrow('io.ifPresent(...) is a whole argument');
  });
});

describe('task settings', () => {
  test.each([
    [{ maxRetryCount: -1 }, 'maxRetryCount must be a non-negative integer, got -1'],
    [{ maxRetryCount: 1, backoffFactor: 0 }, 'backoffFactor must be a positive number, got 0'],
    [{ maxRetryCount: 1, backoffDuration: '5 minutes' }, "backoffDuration must be a non-negative number of seconds or a string like '30s'"],
  ])('setRetry(%j)', (options, message) => {
    expect(() => compileBody(() => void produce().setRetry(options as never))).toThrow(`task 'produce': ${message}`);
  });

  test('an empty display name', () => {
    expect(() => compileBody(() => void produce().setDisplayName(''))).toThrow("task 'produce': display name must be a non-empty string");
  });
});
