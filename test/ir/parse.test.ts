import { SpecParseError, SpecValidationError } from '../../ir/errors';
import { parsePipelineDocument, parsePipelineSpecObject } from '../../ir/parse';
import { validatePipelineSpec } from '../../ir/validate';
import { baseSpec, readFixture } from './load-fixtures';

function parseError(text: string): SpecParseError {
  try {
    parsePipelineDocument(text);
  } catch (error) {
    if (error instanceof SpecParseError) return error;
    throw error;
  }
  throw new Error('expected a parse error');
}

describe('parsePipelineDocument reads', () => {
  test('YAML', () => {
    const { spec, platformSpec } = parsePipelineDocument(readFixture('base.yaml'));
    expect(spec).toEqual(baseSpec());
    expect(platformSpec).toBeUndefined();
  });

  test('JSON', () => {
    expect(parsePipelineDocument(JSON.stringify(baseSpec(), null, 2)).spec).toEqual(baseSpec());
  });

  test('a second YAML document as the platform spec', () => {
    const { spec, platformSpec } = parsePipelineDocument(readFixture('with-platform-spec.yaml'));
    expect(spec.pipelineInfo.name).toBe('with-platform');
    expect(platformSpec).toEqual({
      platforms: {
        kubernetes: {
          deploymentSpec: { executors: { 'exec-echo': { secretAsEnv: [{ secretName: 'db', keyToEnv: [{ envVar: 'PASSWORD', secretKey: 'password' }] }] } } },
        },
      },
    });
  });

  test.each([
    ['pipelineSpec', { pipelineSpec: baseSpec(), runtimeConfig: { parameterValues: { epochs: 3 } } }, undefined],
    ['pipeline_spec with platform_spec', { pipeline_spec: baseSpec(), platform_spec: { platforms: {} } }, { platforms: {} }],
  ])('a PipelineJob wrapper (%s)', (_name, wrapper, platform) => {
    const parsed = parsePipelineDocument(JSON.stringify(wrapper));
    expect(parsed.spec).toEqual(baseSpec());
    expect(parsed.platformSpec).toEqual(platform);
    expect(parsePipelineSpecObject(wrapper)).toEqual(parsed);
  });

  test('a quoted scalar whose continuation line is under-indented, as PyYAML writes and accepts', () => {
    const { spec } = parsePipelineDocument(readFixture('underindented-quote.yaml'));
    expect(spec.deploymentSpec.executors['exec-echo'].container?.args).toEqual([
      `{"IfPresent": {"InputName": "maybe", "Then": ["--maybe", "{{$.inputs.parameters['maybe']}}"], "Else": ["--maybe", "absent"]}}`,
    ]);
    expect(validatePipelineSpec(spec)).toBe(spec);
  });
});

describe('parsePipelineDocument rejects', () => {
  test.each([
    ['an empty file', ''],
    ['whitespace', '  \n\n'],
    ['only comments', '# PIPELINE DEFINITION\n# Name: echo'],
    ['an empty JSON-less document', '---\n'],
  ])('%s as empty', (_name, text) => {
    expect(parseError(text).issues).toEqual([{ path: 'document', message: 'file is empty (no YAML or JSON document)' }]);
  });

  test('a YAML syntax error, with its line', () => {
    const error = parseError('pipelineInfo:\n  name: x\nroot: [1,\n');
    expect(error.message).toMatch(/YAML syntax error: .* at line 4, column 1/);
    expect(error.line).toBe(4);
    expect(error.column).toBe(1);
  });

  test('an unterminated quote, reporting the original error', () => {
    const error = parseError("pipelineInfo:\n  name: 'abc\nroot: 'x'\n");
    expect(error.message).toContain("YAML syntax error: Missing closing 'quote at line 2");
    expect(error.line).toBe(2);
  });

  test('a JSON syntax error', () => {
    expect(parseError('{"pipelineInfo": {"name": "x"}\n').message).toContain('YAML syntax error: Flow map must end with a } at line 2');
  });

  test.each([
    ['a list', '- a\n- b\n', 'document is a list, not a mapping (a PipelineSpec)'],
    ['a string', 'hello', 'document is a string, not a mapping (a PipelineSpec)'],
    ['a number', '42', 'document is a number, not a mapping (a PipelineSpec)'],
    ['a wrapper whose spec is not a mapping', '{"pipelineSpec": [1]}', 'pipelineSpec is a list, not a mapping'],
    ['a second document that is not a mapping', 'pipelineInfo: {name: x}\n---\n- 1\n', 'the second YAML document (the platform spec) is a list, not a mapping'],
    ['three documents', 'pipelineInfo: {name: x}\n---\na: 1\n---\nb: 2\n', 'file has 3 YAML documents'],
    ['ZIP bytes', 'PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000', 'file is a ZIP archive, not a YAML or JSON pipeline'],
    ['binary bytes', '\u0089PNG\r\n\u001a\n\u0000\u0000', 'file is binary data, not a YAML or JSON pipeline'],
  ])('%s', (_name, text, message) => {
    expect(parseError(text).issues).toEqual([{ path: 'document', message: expect.stringContaining(message) }]);
  });

  test.each([
    ['missing', 'root: {}\n'],
    ['null', 'pipelineInfo:\n  name:\n'],
    ['empty', 'pipelineInfo: {name: ""}\n'],
  ])('a pipeline name that is %s', (_name, text) => {
    let caught: unknown;
    try {
      parsePipelineDocument(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    expect(caught).not.toBeInstanceOf(SpecParseError);
    expect((caught as Error).message).toContain('pipelineInfo.name: required');
  });

  test('a body that is not an object', () => {
    expect(() => parsePipelineSpecObject('text')).toThrow(SpecParseError);
    expect(() => parsePipelineSpecObject(null)).toThrow('document is empty, not a mapping');
  });
});
