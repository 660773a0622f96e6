/** How the compiler lays out a PipelineSpec: names, structured args, dependencies and task settings, as KFP writes them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config/config';
import {
  Dataset,
  Param,
  RuntimePlaceholders,
  SDK_VERSION,
  compilePipeline,
  containerComponent,
  pipeline,
  type CommandArg,
  type ComponentIO,
} from '../../sdk';

const echo = containerComponent({
  name: 'Say_Hello!',
  image: 'alpine',
  inputs: { text: Param.string('hi'), suffix: Param.string().optional() },
  outputs: { out: Param.string() },
  command: (io) => ['echo', io.inputs.text, io.outputs.out.outputFile],
});

const make = containerComponent({
  name: 'make',
  image: 'alpine',
  outputs: { data: Dataset, size: Param.int() },
  command: (io) => ['make', io.outputs.data.path, io.outputs.size.outputFile],
});

const use = containerComponent({
  name: 'use',
  image: 'alpine',
  inputs: { data: Dataset, size: Param.int() },
  command: (io) => ['use', io.inputs.data.uri, io.inputs.size],
});

const optionalXY = { x: Param.string().optional(), y: Param.string().optional() };

/** The command line that `command` renders to, in a component with optional string inputs x and y. */
function renderCommand(command: (io: ComponentIO<typeof optionalXY, Record<never, never>>) => CommandArg[]): string[] {
  const component = containerComponent({ name: 'args-test', image: 'alpine', inputs: optionalXY, command });
  const spec = compilePipeline(pipeline({ name: 'args' }, () => void component()));
  return spec.deploymentSpec.executors['exec-args-test'].container!.command!;
}

describe('task names', () => {
  const spec = compilePipeline(
    pipeline({ name: 'names' }, () => {
      echo();
      echo();
      echo();
    }),
  );

  test('are the KFP-sanitized component name, deduplicated with -2, -3', () => {
    expect(Object.keys(spec.root.dag.tasks)).toEqual(['say-hello', 'say-hello-2', 'say-hello-3']);
    expect(spec.root.dag.tasks['say-hello-2'].taskInfo).toEqual({ name: 'say-hello-2' });
  });

  test('key one component and one executor per task', () => {
    expect(Object.keys(spec.components)).toEqual(['comp-say-hello', 'comp-say-hello-2', 'comp-say-hello-3']);
    expect(Object.keys(spec.deploymentSpec.executors)).toEqual(['exec-say-hello', 'exec-say-hello-2', 'exec-say-hello-3']);
    expect(spec.root.dag.tasks['say-hello-3'].componentRef).toEqual({ name: 'comp-say-hello-3' });
    expect(spec.components['comp-say-hello-3'].executorLabel).toBe('exec-say-hello-3');
  });

  test('skip a suffix a component name already took', () => {
    const named = (name: string) => containerComponent({ name, image: 'alpine', command: () => ['true'] });
    const [a, a2] = [named('a'), named('a-2')];
    const tasks = compilePipeline(pipeline({ name: 'taken' }, () => void [a2(), a(), a()])).root.dag.tasks;
    expect(Object.keys(tasks)).toEqual(['a-2', 'a', 'a-3']);
  });

  test('setDisplayName changes taskInfo.name only', () => {
    const tasks = compilePipeline(pipeline({ name: 'display' }, () => void echo().setDisplayName('Friendly name'))).root.dag.tasks;
    expect(Object.keys(tasks)).toEqual(['say-hello']);
    expect(tasks['say-hello'].taskInfo).toEqual({ name: 'Friendly name' });
  });
});

describe('structured arguments', () => {
  test('IfPresent and Concat are JSON strings formatted like Python json.dumps', () => {
    const command = renderCommand((io) => [
      io.ifPresent(io.inputs.x, ['--x', io.inputs.x]),
      io.ifPresent(io.inputs.x, io.inputs.x, 'none'),
      io.concat('a-', io.inputs.y, io.ifPresent(io.inputs.x, io.inputs.x, '')),
      `--y=${io.inputs.y}`,
      io.concat('ü'),
    ]);
    expect(command).toEqual([
      `{"IfPresent": {"InputName": "x", "Then": ["--x", "{{$.inputs.parameters['x']}}"]}}`,
      `{"IfPresent": {"InputName": "x", "Then": "{{$.inputs.parameters['x']}}", "Else": "none"}}`,
      `{"Concat": ["a-", "{{$.inputs.parameters['y']}}", {"IfPresent": {"InputName": "x", "Then": "{{$.inputs.parameters['x']}}"}}]}`,
      `--y={{$.inputs.parameters['y']}}`,
      `{"Concat": ["\\u00fc"]}`,
    ]);
  });

  test('placeholders render as KFP writes them', () => {
    const spec = compilePipeline(pipeline({ name: 'placeholders' }, () => void use({ data: make().outputs.data, size: 1 })));
    const executors = spec.deploymentSpec.executors;
    expect(executors['exec-make'].container!.command).toEqual([
      'make',
      `{{$.outputs.artifacts['data'].path}}`,
      `{{$.outputs.parameters['size'].output_file}}`,
    ]);
    expect(executors['exec-use'].container!.command).toEqual([
      'use',
      `{{$.inputs.artifacts['data'].uri}}`,
      `{{$.inputs.parameters['size']}}`,
    ]);
  });

  test('io carries the executor-input, output-file and run-level placeholders', () => {
    const command = renderCommand((io) => [io.executorInput, io.outputFile, io.pipelineJobName, io.pipelineTaskId, io.pipelineRoot]);
    expect(command).toEqual([
      '{{$}}',
      '{{$.outputs.output_file}}',
      '{{$.pipeline_job_name}}',
      '{{$.pipeline_task_uuid}}',
      '{{$.pipeline_root}}',
    ]);
  });
});

describe('dependencies', () => {
  const spec = compilePipeline(
    pipeline({ name: 'deps', inputs: { size: Param.int(1) } }, ({ size }) => {
      const first = make();
      const second = make();
      const standalone = echo();
      use({ data: first.outputs.data, size: second.outputs.size }).after(standalone, first);
      use({ data: first.outputs.data, size });
    }),
  );
  const tasks = spec.root.dag.tasks;

  test('come from consumed outputs and .after(), sorted and deduplicated', () => {
    expect(tasks.use.dependentTasks).toEqual(['make', 'make-2', 'say-hello']);
  });

  test('pipeline inputs and constants add none', () => {
    expect(tasks['use-2'].dependentTasks).toEqual(['make']);
    expect(tasks.make).not.toHaveProperty('dependentTasks');
  });

  test('task inputs reference their sources', () => {
    expect(tasks.use.inputs).toEqual({
      artifacts: { data: { taskOutputArtifact: { producerTask: 'make', outputArtifactKey: 'data' } } },
      parameters: { size: { taskOutputParameter: { producerTask: 'make-2', outputParameterKey: 'size' } } },
    });
    expect(tasks['use-2'].inputs!.parameters).toEqual({ size: { componentInputParameter: 'size' } });
    expect(tasks['say-hello']).not.toHaveProperty('inputs');
  });
});

describe('task settings', () => {
  test('caching is on by default and written as {} when off, as KFP does', () => {
    const tasks = compilePipeline(pipeline({ name: 'cache' }, () => void [echo(), echo().setCaching(false)])).root.dag.tasks;
    expect(tasks['say-hello'].cachingOptions).toEqual({ enableCache: true });
    expect(tasks['say-hello-2'].cachingOptions).toEqual({});
  });

  test('retry policies get KFP defaults and durations in seconds', () => {
    const tasks = compilePipeline(
      pipeline({ name: 'retry' }, () => {
        echo().setRetry({ maxRetryCount: 3 });
        echo().setRetry({ maxRetryCount: 1, backoffDuration: '2m', backoffFactor: 3, backoffMaxDuration: 90.5 });
        echo().setRetry({ maxRetryCount: 0 });
      }),
    ).root.dag.tasks;
    expect(tasks['say-hello'].retryPolicy).toEqual({
      maxRetryCount: 3,
      backoffDuration: '0s',
      backoffFactor: 2,
      backoffMaxDuration: '3600s',
    });
    expect(tasks['say-hello-2'].retryPolicy).toEqual({
      maxRetryCount: 1,
      backoffDuration: '120s',
      backoffFactor: 3,
      backoffMaxDuration: '90.5s',
    });
    expect(tasks['say-hello-3'].retryPolicy).not.toHaveProperty('maxRetryCount');
  });

  test('constants, including run-level placeholders, become runtime values', () => {
    const tasks = compilePipeline(
      pipeline({ name: 'consts' }, () => void echo({ text: RuntimePlaceholders.pipelineJobId })),
    ).root.dag.tasks;
    expect(tasks['say-hello'].inputs).toEqual({
      parameters: { text: { runtimeValue: { constant: '{{$.pipeline_job_uuid}}' } } },
    });
  });

  test('env becomes name/value pairs in order', () => {
    const withEnv = containerComponent({ name: 'env', image: 'alpine', env: { B: '2', A: '1' }, command: () => ['env'] });
    const spec = compilePipeline(pipeline({ name: 'env' }, () => void withEnv()));
    expect(spec.deploymentSpec.executors['exec-env'].container).toEqual({
      image: 'alpine',
      command: ['env'],
      env: [
        { name: 'B', value: '2' },
        { name: 'A', value: '1' },
      ],
    });
  });
});

describe('pipeline level', () => {
  const definition = pipeline(
    {
      name: 'top',
      description: 'A test pipeline',
      inputs: { a: Param.int(), b: Param.double(0.5), c: Param.string().optional(), d: Param.list([1, 'x']), e: Param.bool(false) },
    },
    ({ c }) => void echo({ text: c }),
  );
  const spec = compilePipeline(definition);

  test('root inputDefinitions carry defaults and optionality', () => {
    expect(spec.root.inputDefinitions).toEqual({
      parameters: {
        a: { parameterType: 'NUMBER_INTEGER' },
        b: { parameterType: 'NUMBER_DOUBLE', defaultValue: 0.5, isOptional: true },
        c: { parameterType: 'STRING', isOptional: true },
        d: { parameterType: 'LIST', defaultValue: [1, 'x'], isOptional: true },
        e: { parameterType: 'BOOLEAN', defaultValue: false, isOptional: true },
      },
    });
  });

  test('pipelineInfo, schemaVersion and sdkVersion', () => {
    expect(spec.pipelineInfo).toEqual({ name: 'top', description: 'A test pipeline' });
    expect(spec.schemaVersion).toBe('2.1.0');
    expect(spec.sdkVersion).toBe(`sluice-${SDK_VERSION}`);
  });

  test('SDK_VERSION is the package version', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(SDK_VERSION).toBe(pkg.version);
  });

  test('the spec has no undefined fields (so JSON and YAML carry exactly what it holds)', () => {
    expect(JSON.parse(JSON.stringify(spec))).toStrictEqual(spec);
  });

  test('compiling is a pure walk: the same result every time, whatever was compiled in between', () => {
    const other = pipeline({ name: 'other' }, () => void [echo(), echo(), make()]);
    compilePipeline(other);
    expect(compilePipeline(definition)).toEqual(spec);
    compilePipeline(other);
    expect(compilePipeline(definition)).toEqual(spec);
  });
});
