import { ExecutorOutputError } from '../../ir/errors';
import { mergeExecutorOutput, parseOutputParameter } from '../../ir/outputs';
import type { ArtifactRef, OutputDefinitions, ParameterType, ParameterValue } from '../../ir/types';

function caught(run: () => unknown): ExecutorOutputError {
  try {
    run();
  } catch (error) {
    if (error instanceof ExecutorOutputError) return error;
    throw error;
  }
  throw new Error('expected an ExecutorOutputError');
}

describe('parseOutputParameter reads', () => {
  const cases: Array<[string, ParameterType, ParameterValue]> = [
    ['hello\n', 'STRING', 'hello\n'],
    ['', 'STRING', ''],
    ['42\n', 'NUMBER_INTEGER', 42],
    [' -3 ', 'NUMBER_INTEGER', -3],
    ['3.0', 'NUMBER_INTEGER', 3],
    ['0.25', 'NUMBER_DOUBLE', 0.25],
    ['1e3', 'NUMBER_DOUBLE', 1000],
    ['7', 'NUMBER_DOUBLE', 7],
    ['true', 'BOOLEAN', true],
    ['True\n', 'BOOLEAN', true],
    ['FALSE', 'BOOLEAN', false],
    ['[1, "a", null]', 'LIST', [1, 'a', null]],
    ['{"a": {"b": [true]}}\n', 'STRUCT', { a: { b: [true] } }],
  ];
  test.each(cases)('%j as %s', (text, type, value) => {
    expect(parseOutputParameter(text, type, 'out')).toEqual(value);
  });
});

describe('parseOutputParameter refuses', () => {
  const cases: Array<[string, ParameterType, string]> = [
    ['4.5', 'NUMBER_INTEGER', 'expected an integer, got 4.5'],
    ['abc', 'NUMBER_INTEGER', 'expected an integer, got "abc"'],
    ['', 'NUMBER_DOUBLE', 'expected a number, got ""'],
    ['0x10', 'NUMBER_DOUBLE', 'expected a number, got "0x10"'],
    ['NaN', 'NUMBER_DOUBLE', 'expected a number'],
    ['yes', 'BOOLEAN', 'expected true or false, got "yes"'],
    ['1', 'BOOLEAN', 'expected true or false'],
    ['{"a": 1}', 'LIST', 'expected a list, got a struct'],
    ['[1]', 'STRUCT', 'expected a struct, got a list'],
    ['not json', 'STRUCT', 'expected a struct as JSON, got "not json"'],
  ];
  test.each(cases)('%j as %s', (text, type, message) => {
    const error = caught(() => parseOutputParameter(text, type, 'accuracy'));
    expect(error.field).toBe('parameters.accuracy');
    expect(error.message).toContain(`cannot read the output file as ${type}: ${message}`);
  });
});

describe('mergeExecutorOutput', () => {
  const declared: OutputDefinitions = {
    parameters: { accuracy: { parameterType: 'NUMBER_DOUBLE' }, epochs: { parameterType: 'NUMBER_INTEGER' }, label: { parameterType: 'STRING' } },
    artifacts: { model: { artifactType: { schemaTitle: 'system.Model', schemaVersion: '0.0.1' } } },
  };
  const planned: Record<string, ArtifactRef[]> = {
    model: [{ name: 'model', uri: '/store/run-1/train/model', schemaTitle: 'system.Model', schemaVersion: '0.0.1', metadata: { framework: 'torch' } }],
  };
  const files = { accuracy: 0.5, epochs: 3, label: 'from-file' };

  test('takes the parameter files when there is no executor output', () => {
    for (const none of [undefined, null, {}]) {
      expect(mergeExecutorOutput(declared, files, none, planned)).toEqual({ parameters: files, artifacts: planned });
    }
  });

  test('lets parameterValues override files, and legacy parameters override files only', () => {
    const output = {
      parameterValues: { accuracy: 0.9, undeclared: 'ignored' },
      parameters: { accuracy: { doubleValue: 0.7 }, epochs: { intValue: '12' }, label: { stringValue: 'legacy' } },
    };
    expect(mergeExecutorOutput(declared, files, output, planned).parameters).toEqual({ accuracy: 0.9, epochs: 12, label: 'legacy' });
  });

  test('fills parameters the step wrote only in executor_output.json', () => {
    expect(mergeExecutorOutput(declared, {}, { parameterValues: { accuracy: 1, epochs: 2, label: 'x' } }, planned).parameters).toEqual({
      accuracy: 1,
      epochs: 2,
      label: 'x',
    });
  });

  test('applies the reported artifact uri and metadata', () => {
    const output = { artifacts: { model: { artifacts: [{ name: 'model', uri: 'gs://b/model', metadata: { accuracy: 0.9 } }] }, other: { artifacts: [] } } };
    expect(mergeExecutorOutput(declared, files, output, planned).artifacts).toEqual({
      model: [{ ...planned.model[0], uri: 'gs://b/model', metadata: { framework: 'torch', accuracy: 0.9 } }],
    });
  });

  test('keeps the planned uri when the reported one is empty', () => {
    const output = { artifacts: { model: { artifacts: [{ uri: '', metadata: { n: 1 } }] } } };
    expect(mergeExecutorOutput(declared, files, output, planned).artifacts.model[0]).toEqual({ ...planned.model[0], metadata: { framework: 'torch', n: 1 } });
  });

  const refused: Array<[string, Record<string, ParameterValue>, unknown, string, string]> = [
    ['a declared parameter with no value anywhere', { accuracy: 0.5, label: 'x' }, undefined, 'parameters.epochs', 'wrote no value'],
    ['a parameterValues entry of the wrong type', files, { parameterValues: { epochs: 'many' } }, 'executor_output.json parameterValues.epochs', 'declared NUMBER_INTEGER: expected an integer'],
    ['a file value of the wrong type', { ...files, epochs: 2.5 }, undefined, 'parameters.epochs', 'expected an integer, got the number 2.5'],
    ['parameterValues that is not a mapping', files, { parameterValues: 5 }, 'executor_output.json parameterValues', 'Expected object'],
    ['an artifact list that is not a list', files, { artifacts: { model: { artifacts: 'x' } } }, 'executor_output.json artifacts.model.artifacts', 'Expected array'],
    ['a legacy intValue that is not an integer', files, { parameters: { epochs: { intValue: '1.5' } } }, 'executor_output.json parameters.epochs.intValue', ''],
    ['an executor output that is not an object', files, [1, 2], 'executor_output.json (top level)', 'Expected object'],
  ];
  test.each(refused)('refuses %s', (_name, fromFiles, output, field, message) => {
    const error = caught(() => mergeExecutorOutput(declared, fromFiles, output, planned));
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });
});
