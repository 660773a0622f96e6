import { PlaceholderError } from '../../ir/errors';
import {
  artifactLocalPath,
  buildExecutorInput,
  inputParameterReferences,
  resolveArgs,
  type PlaceholderContext,
} from '../../ir/placeholders';
import type { ArtifactRef, StructuredArg } from '../../ir/types';

function artifact(name: string, uri: string, metadata: ArtifactRef['metadata'] = {}): ArtifactRef {
  return { name, uri, schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata };
}

const ctx: PlaceholderContext = {
  inputs: {
    parameters: { text: 'hello world', n: 3, x: 2.5, flag: false, items: [1, 'a'], config: { a: { b: null } }, nothing: null, tricky: "{{$.inputs.parameters['n']}}" },
    artifacts: {
      data: [artifact('data', '/store/run-1/prepare/data', { rows: 10 }), artifact('data-2', '/store/run-1/prepare/data-2')],
      gcs: [artifact('gcs', 'gs://bucket/path/obj')],
      s3: [artifact('s3', 's3://bucket/key')],
      minio: [artifact('minio', 'minio://mlpipeline/v2/art')],
      web: [artifact('web', 'https://example.com/x')],
      none: [],
    },
  },
  outputs: {
    parameters: { count: { outputFile: '/tmp/run-1/train/outputs/count' } },
    artifacts: { model: [artifact('model', '/store/run-1/train/model')], remote: [artifact('remote', 'gs://b/model')] },
    outputFile: '/tmp/run-1/train/executor_output.json',
  },
  pipelineJobName: 'nightly run',
  pipelineJobResourceName: 'train-abc12',
  pipelineJobUuid: 'run-1',
  pipelineTaskName: 'train',
  pipelineTaskUuid: 'run-1/train',
  pipelineRoot: '/store',
  pipelineJobCreateTimeUtc: '2025-01-02T03:04:05Z',
  pipelineJobScheduleTimeUtc: '2025-01-02T00:00:00Z',
};

describe('resolveArgs substitutes', () => {
  const cases: Array<[string, string, string]> = [
    ['a string parameter as-is', "{{$.inputs.parameters['text']}}", 'hello world'],
    ['with double quotes', '{{$.inputs.parameters["text"]}}', 'hello world'],
    ['an integer as JSON text', "{{$.inputs.parameters['n']}}", '3'],
    ['a double as JSON text', "{{$.inputs.parameters['x']}}", '2.5'],
    ['a boolean as JSON text', "{{$.inputs.parameters['flag']}}", 'false'],
    ['a list as JSON', "{{$.inputs.parameters['items']}}", '[1,"a"]'],
    ['a struct as JSON', "{{$.inputs.parameters['config']}}", '{"a":{"b":null}}'],
    ['inside a longer string', "--n={{$.inputs.parameters['n']}}", '--n=3'],
    ['several in one string', "{{$.inputs.parameters['n']}}x{{$.inputs.parameters['x']}}", '3x2.5'],
    ['a value once, never rescanning it', "{{$.inputs.parameters['tricky']}}", "{{$.inputs.parameters['n']}}"],
    ['an output parameter file', "{{$.outputs.parameters['count'].output_file}}", '/tmp/run-1/train/outputs/count'],
    ['an input artifact path (local store)', "{{$.inputs.artifacts['data'].path}}", '/store/run-1/prepare/data'],
    ['an input artifact uri', "{{$.inputs.artifacts['data'].uri}}", '/store/run-1/prepare/data'],
    ['input artifact metadata as JSON', "{{$.inputs.artifacts['data'].metadata}}", '{"rows":10}'],
    ['a gs:// path on the /gcs mount', "{{$.inputs.artifacts['gcs'].path}}", '/gcs/bucket/path/obj'],
    ['an s3:// path on the /s3 mount', '{{$.inputs.artifacts["s3"].path}}', '/s3/bucket/key'],
    ['a minio:// path on the /minio mount', "{{$.inputs.artifacts['minio'].path}}", '/minio/mlpipeline/v2/art'],
    ['a non-local uri as a uri', "{{$.inputs.artifacts['web'].uri}}", 'https://example.com/x'],
    ['an output artifact path', "{{$.outputs.artifacts['model'].path}}", '/store/run-1/train/model'],
    ['an output artifact uri', "{{$.outputs.artifacts['remote'].uri}}", 'gs://b/model'],
    ['a remote output artifact path', "{{$.outputs.artifacts['remote'].path}}", '/gcs/b/model'],
    ['the executor output file', '{{$.outputs.output_file}}', '/tmp/run-1/train/executor_output.json'],
    ['the job name', '{{$.pipeline_job_name}}', 'nightly run'],
    ['the job resource name', '{{$.pipeline_job_resource_name}}', 'train-abc12'],
    ['the job uuid', '{{$.pipeline_job_uuid}}', 'run-1'],
    ['the task name', '{{$.pipeline_task_name}}', 'train'],
    ['the task uuid', '{{$.pipeline_task_uuid}}', 'run-1/train'],
    ['the pipeline root', '{{$.pipeline_root}}/x', '/store/x'],
    ['the create time', '{{$.pipeline_job_create_time_utc}}', '2025-01-02T03:04:05Z'],
    ['the schedule time', '{{$.pipeline_job_schedule_time_utc}}', '2025-01-02T00:00:00Z'],
    ['a null parameter as empty text, as KFP does', "--x={{$.inputs.parameters['nothing']}}", '--x='],
    ['plain text untouched', 'echo {{not a placeholder}} $HOME', 'echo {{not a placeholder}} $HOME'],
  ];
  test.each(cases)('%s', (_name, arg, expected) => {
    expect(resolveArgs([arg], ctx)).toEqual([expected]);
  });

  test('{{$}} as the ExecutorInput JSON', () => {
    const [json] = resolveArgs(['{{$}}'], ctx);
    expect(JSON.parse(json)).toEqual(buildExecutorInput(ctx));
  });

  test('the workspace path when the run has one', () => {
    expect(resolveArgs(['{{$.workspace_path}}/data'], { ...ctx, workspacePath: '/kfp-workspace' })).toEqual(['/kfp-workspace/data']);
  });

  test('values with spaces and quotes as single argv entries', () => {
    expect(resolveArgs(['echo', "{{$.inputs.parameters['text']}}", '--', "'{{$.pipeline_job_name}}'"], ctx)).toEqual([
      'echo',
      'hello world',
      '--',
      "'nightly run'",
    ]);
  });

  test('undefined as no arguments', () => {
    expect(resolveArgs(undefined, ctx)).toEqual([]);
  });
});

describe('resolveArgs structured arguments', () => {
  const present = { InputName: 'text', Then: ['--text', "{{$.inputs.parameters['text']}}"], Else: ['--no-text'] };
  const cases: Array<[string, StructuredArg[], string[]]> = [
    ['IfPresent on a present parameter takes Then', [{ IfPresent: present }], ['--text', 'hello world']],
    ['IfPresent on a missing input takes Else', [{ IfPresent: { ...present, InputName: 'absent' } }], ['--no-text']],
    ['IfPresent on a null parameter takes Else', [{ IfPresent: { ...present, InputName: 'nothing' } }], ['--no-text']],
    ['IfPresent on an empty artifact list takes Else', [{ IfPresent: { ...present, InputName: 'none' } }], ['--no-text']],
    ['IfPresent on a present artifact takes Then', [{ IfPresent: { InputName: 'data', Then: "{{$.inputs.artifacts['data'].path}}" } }], ['/store/run-1/prepare/data']],
    ['IfPresent without Else yields nothing', [{ IfPresent: { InputName: 'absent', Then: ['--x'] } }], []],
    ['IfPresent with a string branch yields one entry', [{ IfPresent: { InputName: 'n', Then: '--n' } }], ['--n']],
    [
      'IfPresent as the JSON string kfp writes',
      ['a', '{"IfPresent": {"InputName": "text", "Then": ["--text", "{{$.inputs.parameters[\'text\']}}"]}}', 'z'],
      ['a', '--text', 'hello world', 'z'],
    ],
    ['Concat joins into one entry', [{ Concat: ['--n=', "{{$.inputs.parameters['n']}}", ',x=', "{{$.inputs.parameters['x']}}"] }], ['--n=3,x=2.5']],
    ['Concat as a JSON string', ['{"Concat": ["a", "{{$.pipeline_task_name}}", "b"]}'], ['atrainb']],
    [
      'IfPresent nested in IfPresent',
      [{ IfPresent: { InputName: 'text', Then: [{ IfPresent: { InputName: 'absent', Then: ['no'], Else: ['inner-else'] } }, 'after'] } }],
      ['inner-else', 'after'],
    ],
    [
      'Concat inside IfPresent',
      [{ IfPresent: { InputName: 'n', Then: [{ Concat: ['--n=', "{{$.inputs.parameters['n']}}"] }] } }],
      ['--n=3'],
    ],
    [
      'IfPresent inside Concat, present and absent',
      [{ Concat: ['[', { IfPresent: { InputName: 'n', Then: ['n', '!'] } }, { IfPresent: { InputName: 'absent', Then: 'x' } }, ']'] }],
      ['[n!]'],
    ],
    ['a nested structured JSON string', [{ IfPresent: { InputName: 'n', Then: ['{"Concat": ["x", "y"]}'] } }], ['xy']],
  ];
  test.each(cases)('%s', (_name, args, expected) => {
    expect(resolveArgs(args, ctx)).toEqual(expected);
  });

  test("kfp's optional-input test component, supplying only the required input", () => {
    const args = [
      '--arg0',
      "{{$.inputs.parameters['required_input']}}",
      `{"IfPresent": {"InputName": "optional_input_1", "Then": ["--arg1", "{{$.inputs.parameters['optional_input_1']}}"]}}`,
      `{"IfPresent": {"InputName": "optional_input_2", "Then": ["--arg2", "{{$.inputs.parameters['optional_input_2']}}"], "Else": ["--arg2", "default value"]}}`,
    ];
    const only = { ...ctx, inputs: { parameters: { required_input: 'input0' }, artifacts: {} } };
    expect(resolveArgs(args, only)).toEqual(['--arg0', 'input0', '--arg2', 'default value']);
  });
});

describe('resolveArgs refuses', () => {
  const cases: Array<[string, StructuredArg, string, string]> = [
    ['an unknown placeholder', '--x={{$.nope}}', '{{$.nope}}', 'unknown placeholder'],
    ['an unknown attribute', "{{$.inputs.artifacts['data'].size}}", "{{$.inputs.artifacts['data'].size}}", 'unknown placeholder'],
    ['an input parameter with an attribute', "{{$.inputs.parameters['n'].output_file}}", "{{$.inputs.parameters['n'].output_file}}", 'unknown placeholder'],
    ['an undeclared or unset input parameter', "{{$.inputs.parameters['absent']}}", "{{$.inputs.parameters['absent']}}", 'input parameter "absent" has no value'],
    ['an unset input artifact', "{{$.inputs.artifacts['none'].path}}", "{{$.inputs.artifacts['none'].path}}", 'input artifact "none" has no value'],
    ['an undeclared output parameter', "{{$.outputs.parameters['loss'].output_file}}", "{{$.outputs.parameters['loss'].output_file}}", 'declares no output parameter "loss"'],
    ['an undeclared output artifact', "{{$.outputs.artifacts['plot'].path}}", "{{$.outputs.artifacts['plot'].path}}", 'declares no output artifact "plot"'],
    ['a URI without a local path', "{{$.inputs.artifacts['web'].path}}", "{{$.inputs.artifacts['web'].path}}", 'has no local path'],
    ['the workspace in a run without one', '{{$.workspace_path}}', '{{$.workspace_path}}', 'this run has no workspace'],
    ['malformed structured JSON', '{"IfPresent": {"InputName": "n",', '{"IfPresent": {"InputName": "n",', 'is not valid JSON'],
    ['an IfPresent without InputName', { IfPresent: { Then: ['x'] } } as unknown as StructuredArg, '{"IfPresent":{"Then":["x"]}}', 'IfPresent needs an InputName'],
    ['a Concat that is not a list', { Concat: 'x' } as unknown as StructuredArg, '{"Concat":"x"}', 'Concat needs a list'],
    ['an unknown structured argument', { Join: ['a'] } as unknown as StructuredArg, '{"Join":["a"]}', 'is not a string, an IfPresent or a Concat'],
    ['a placeholder inside Then', { IfPresent: { InputName: 'n', Then: ['{{$.nope}}'] } }, '{{$.nope}}', 'unknown placeholder'],
  ];
  test.each(cases)('%s', (_name, arg, placeholder, message) => {
    let caught: unknown;
    try {
      resolveArgs([arg], ctx);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PlaceholderError);
    expect((caught as PlaceholderError).placeholder).toBe(placeholder);
    expect((caught as Error).message).toContain(message);
  });
});

describe('buildExecutorInput', () => {
  test("has KFP's ExecutorInput shape, with null parameters left out", () => {
    const small: PlaceholderContext = {
      ...ctx,
      inputs: { parameters: { n: 3, gone: null }, artifacts: { data: [artifact('data', '/store/d', { rows: 10 })] } },
      outputs: { parameters: { count: { outputFile: '/out/count' } }, artifacts: { model: [artifact('model', '/store/m')] }, outputFile: '/out/executor_output.json' },
    };
    expect(buildExecutorInput(small)).toEqual({
      inputs: {
        parameterValues: { n: 3 },
        artifacts: {
          data: { artifacts: [{ name: 'data', type: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' }, uri: '/store/d', metadata: { rows: 10 } }] },
        },
      },
      outputs: {
        parameters: { count: { outputFile: '/out/count' } },
        artifacts: {
          model: { artifacts: [{ name: 'model', type: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' }, uri: '/store/m', metadata: {} }] },
        },
        outputFile: '/out/executor_output.json',
      },
    });
  });
});

describe('helpers', () => {
  test.each([
    ['/abs/path', '/abs/path'],
    ['gs://b/k', '/gcs/b/k'],
    ['s3://b/k', '/s3/b/k'],
    ['minio://b/k', '/minio/b/k'],
    ['relative/path', undefined],
    ['https://host/x', undefined],
  ])('artifactLocalPath(%s)', (uri, path) => {
    expect(artifactLocalPath(uri)).toBe(path);
  });

  test('inputParameterReferences finds both quote styles in order', () => {
    expect(inputParameterReferences(`a {{$.inputs.parameters['x']}} b {{$.inputs.parameters["y"]}} {{$.pipeline_root}}`)).toEqual(['x', 'y']);
  });
});
