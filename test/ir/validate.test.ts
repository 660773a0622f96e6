import { SpecNotSupportedError, SpecValidationError, type SpecIssue } from '../../ir/errors';
import type { ArtifactRef, PipelineSpec } from '../../ir/types';
import { validatePipelineSpec, validateRunInputArtifacts, validateRunParameters } from '../../ir/validate';
import { baseSpec, deletePath, getPath, setPath } from './load-fixtures';

type Mutation = (spec: PipelineSpec) => void;

function issuesOf(spec: unknown): { error: SpecValidationError; issues: SpecIssue[] } {
  try {
    validatePipelineSpec(spec);
  } catch (error) {
    if (error instanceof SpecValidationError) return { error, issues: error.issues };
    throw error;
  }
  throw new Error('expected the spec to be rejected');
}

function mutated(mutation: Mutation): PipelineSpec {
  const spec = baseSpec();
  mutation(spec);
  return spec;
}

const train = 'root.dag.tasks.train';
const evaluate = 'root.dag.tasks.evaluate';

describe('validatePipelineSpec accepts', () => {
  const cases: Array<[string, Mutation]> = [
    ['the base fixture (caching enabled is accepted)', () => {}],
    ['schemaVersion 2.0.0', (s) => setPath(s, 'schemaVersion', '2.0.0')],
    ['a taskInfo.name that differs from the task key', (s) => setPath(s, `${train}.taskInfo.name`, 'Train the model')],
    [
      'an integer output feeding a double input',
      (s) => setPath(s, 'components.comp-train.outputDefinitions.parameters.accuracy.parameterType', 'NUMBER_INTEGER'),
    ],
    [
      'system.Artifact on either side of an artifact edge',
      (s) => setPath(s, 'components.comp-evaluate.inputDefinitions.artifacts.model.artifactType.schemaTitle', 'system.Artifact'),
    ],
    ['a producer that is not listed in dependentTasks', (s) => deletePath(s, `${evaluate}.dependentTasks`)],
    ['an omitted optional input and an omitted input with a default', (s) => deletePath(s, `${evaluate}.inputs.parameters.threshold`)],
    [
      'an undeclared pipelinechannel input that a constant interpolates',
      (s) => {
        setPath(s, `${train}.inputs.parameters.pipelinechannel--tag`, { componentInputParameter: 'tag' });
        setPath(s, `${train}.inputs.parameters.notes`, { runtimeValue: { constant: "run {{$.inputs.parameters['pipelinechannel--tag']}}" } });
      },
    ],
    [
      'a constant with run-level placeholders',
      (s) => setPath(s, `${train}.inputs.parameters.notes`, { runtimeValue: { constant: '{{$.pipeline_job_uuid}}' } }),
    ],
    ['a null constant for an optional input', (s) => setPath(s, `${train}.inputs.parameters.notes`, { runtimeValue: { constant: null } })],
  ];
  test.each(cases)('%s', (_name, mutation) => {
    const spec = mutated(mutation);
    expect(validatePipelineSpec(spec)).toBe(spec);
  });
});

describe('validatePipelineSpec rejects', () => {
  const cases: Array<[string, Mutation, string, string]> = [
    ['an unknown schema version', (s) => setPath(s, 'schemaVersion', '1.0.0'), 'schemaVersion', 'must be 2.1.0 or 2.0.0, got "1.0.0"'],
    ['an empty pipeline name', (s) => setPath(s, 'pipelineInfo.name', ' '), 'pipelineInfo.name', 'required'],
    ['an unknown top-level field', (s) => setPath(s, 'components_1', {}), 'components_1', 'unknown field'],
    ['a pipeline without tasks', (s) => setPath(s, 'root.dag.tasks', {}), 'root.dag.tasks', 'a pipeline needs at least one task'],
    ['a missing root DAG', (s) => deletePath(s, 'root.dag'), 'root.dag', 'required'],
    [
      'a task whose component does not exist',
      (s) => setPath(s, `${train}.componentRef.name`, 'comp-nope'),
      `${train}.componentRef.name`,
      'component "comp-nope" is not defined in components',
    ],
    [
      'a component whose executor does not exist',
      (s) => setPath(s, 'components.comp-train.executorLabel', 'exec-nope'),
      'components.comp-train.executorLabel',
      'executor "exec-nope" is not defined in deploymentSpec.executors',
    ],
    [
      'a component with neither executor nor dag',
      (s) => deletePath(s, 'components.comp-train.executorLabel'),
      'components.comp-train',
      'needs an executorLabel or a dag',
    ],
    [
      'an executor without a container',
      (s) => deletePath(s, 'deploymentSpec.executors.exec-train.container'),
      'deploymentSpec.executors.exec-train',
      'needs a container',
    ],
    [
      'an empty image',
      (s) => setPath(s, 'deploymentSpec.executors.exec-train.container.image', ''),
      'deploymentSpec.executors.exec-train.container.image',
      'must be a non-empty string',
    ],
    [
      'a non-string argument',
      (s) => setPath(s, 'deploymentSpec.executors.exec-train.container.args', ['--lr', 5]),
      'deploymentSpec.executors.exec-train.container.args[1]',
      'must be a string',
    ],
    [
      'a command that is not a list',
      (s) => setPath(s, 'deploymentSpec.executors.exec-train.container.command', 'python3 train.py'),
      'deploymentSpec.executors.exec-train.container.command',
      'must be a list of strings',
    ],
    [
      'a dependency on a missing task',
      (s) => setPath(s, `${train}.dependentTasks`, ['prepare', 'nope']),
      `${train}.dependentTasks`,
      'task "nope" does not exist in this DAG',
    ],
    ['a dependency on itself', (s) => setPath(s, `${train}.dependentTasks`, ['train']), `${train}.dependentTasks`, 'a task cannot depend on itself'],
    [
      'an input from a missing producer',
      (s) => setPath(s, `${evaluate}.inputs.parameters.accuracy.taskOutputParameter.producerTask`, 'fit'),
      `${evaluate}.inputs.parameters.accuracy.taskOutputParameter.producerTask`,
      'task "fit" does not exist in this DAG',
    ],
    [
      'an input from an undeclared output parameter',
      (s) => setPath(s, `${evaluate}.inputs.parameters.accuracy.taskOutputParameter.outputParameterKey`, 'acc'),
      `${evaluate}.inputs.parameters.accuracy.taskOutputParameter.outputParameterKey`,
      'task "train" has no output parameter "acc"',
    ],
    [
      'an artifact input from an output that is a parameter',
      (s) => setPath(s, `${evaluate}.inputs.artifacts.model.taskOutputArtifact.outputArtifactKey`, 'accuracy'),
      `${evaluate}.inputs.artifacts.model.taskOutputArtifact.outputArtifactKey`,
      'task "train" has no output artifact "accuracy" (it is an output parameter; consume it under inputs.parameters)',
    ],
    [
      'a parameter input from an output that is an artifact',
      (s) => setPath(s, `${evaluate}.inputs.parameters.accuracy.taskOutputParameter.outputParameterKey`, 'model'),
      `${evaluate}.inputs.parameters.accuracy.taskOutputParameter.outputParameterKey`,
      'task "train" has no output parameter "model" (it is an output artifact; consume it under inputs.artifacts)',
    ],
    [
      'an undeclared pipeline input',
      (s) => setPath(s, `${train}.inputs.parameters.lr.componentInputParameter`, 'learning_rate'),
      `${train}.inputs.parameters.lr.componentInputParameter`,
      'the pipeline declares no input parameter "learning_rate"',
    ],
    [
      'an input the component does not declare',
      (s) => setPath(s, `${train}.inputs.parameters.momentum`, { runtimeValue: { constant: 0.9 } }),
      `${train}.inputs.parameters.momentum`,
      'component "comp-train" declares no input parameter "momentum"',
    ],
    [
      'an artifact input given as a parameter',
      (s) => setPath(s, `${train}.inputs.parameters.dataset`, { runtimeValue: { constant: 'x' } }),
      `${train}.inputs.parameters.dataset`,
      'is an artifact input of component "comp-train"; supply it under inputs.artifacts',
    ],
    [
      'a non-integral constant for an integer',
      (s) => setPath(s, `${train}.inputs.parameters.epochs`, { runtimeValue: { constant: 2.5 } }),
      `${train}.inputs.parameters.epochs.runtimeValue.constant`,
      'expected an integer, got the number 2.5',
    ],
    [
      'a number constant for a string',
      (s) => setPath(s, `${train}.inputs.parameters.notes`, { runtimeValue: { constant: 5 } }),
      `${train}.inputs.parameters.notes.runtimeValue.constant`,
      'expected a string, got number 5',
    ],
    [
      'a runtime value without a constant',
      (s) => setPath(s, `${train}.inputs.parameters.notes`, { runtimeValue: {} }),
      `${train}.inputs.parameters.notes.runtimeValue.constant`,
      'required',
    ],
    [
      'a constant that interpolates an input the task does not supply',
      (s) => setPath(s, `${train}.inputs.parameters.notes`, { runtimeValue: { constant: "{{$.inputs.parameters['ghost']}}" } }),
      `${train}.inputs.parameters.notes.runtimeValue.constant`,
      'refers to input "ghost", which the task does not supply',
    ],
    [
      'an input with two sources',
      (s) => setPath(s, `${train}.inputs.parameters.lr.runtimeValue`, { constant: 0.2 }),
      `${train}.inputs.parameters.lr`,
      'sets runtimeValue and componentInputParameter; exactly one is allowed',
    ],
    [
      'an input with no source',
      (s) => setPath(s, `${train}.inputs.parameters.lr`, {}),
      `${train}.inputs.parameters.lr`,
      'needs one of runtimeValue, componentInputParameter',
    ],
    [
      'mismatched parameter types between producer and consumer',
      (s) => setPath(s, 'components.comp-evaluate.inputDefinitions.parameters.accuracy.parameterType', 'NUMBER_INTEGER'),
      `${evaluate}.inputs.parameters.accuracy.taskOutputParameter`,
      'output "accuracy" of task "train" is NUMBER_DOUBLE but input "accuracy" of component "comp-evaluate" is NUMBER_INTEGER',
    ],
    [
      'mismatched artifact types',
      (s) => setPath(s, 'components.comp-evaluate.inputDefinitions.artifacts.model.artifactType.schemaTitle', 'system.Dataset'),
      `${evaluate}.inputs.artifacts.model.taskOutputArtifact`,
      "artifact type system.Model does not match the input's type system.Dataset",
    ],
    [
      'a list of artifacts feeding a single-artifact input',
      (s) => setPath(s, 'components.comp-train.outputDefinitions.artifacts.model.isArtifactList', true),
      `${evaluate}.inputs.artifacts.model.taskOutputArtifact`,
      'a list of artifacts cannot feed a single-artifact input',
    ],
    [
      'a missing required parameter',
      (s) => deletePath(s, `${train}.inputs.parameters.epochs`),
      `${train}.inputs.parameters.epochs`,
      'required by component "comp-train" but not supplied',
    ],
    [
      'a missing required artifact',
      (s) => deletePath(s, `${evaluate}.inputs.artifacts`),
      `${evaluate}.inputs.artifacts.model`,
      'required by component "comp-evaluate" but not supplied',
    ],
    [
      'a dependency cycle',
      (s) => setPath(s, 'root.dag.tasks.prepare.dependentTasks', ['evaluate']),
      'root.dag.tasks',
      'dependency cycle: prepare -> evaluate -> train -> prepare',
    ],
    [
      'an unknown parameter type',
      (s) => setPath(s, 'components.comp-train.inputDefinitions.parameters.lr.parameterType', 'FLOAT'),
      'components.comp-train.inputDefinitions.parameters.lr.parameterType',
      'must be one of STRING, NUMBER_INTEGER, NUMBER_DOUBLE, BOOLEAN, LIST, STRUCT, TASK_FINAL_STATUS, got "FLOAT"',
    ],
    [
      'a default of the wrong type',
      (s) => setPath(s, 'root.inputDefinitions.parameters.lr.defaultValue', 'fast'),
      'root.inputDefinitions.parameters.lr.defaultValue',
      'expected a number, got string "fast"',
    ],
    [
      'a name used for a parameter and an artifact',
      (s) => setPath(s, 'components.comp-train.inputDefinitions.artifacts.lr', { artifactType: { schemaTitle: 'system.Artifact', schemaVersion: '0.0.1' } }),
      'components.comp-train.inputDefinitions.artifacts.lr',
      '"lr" is also a parameter; parameter and artifact names must differ',
    ],
    [
      'an artifact without a type',
      (s) => deletePath(s, 'components.comp-train.outputDefinitions.artifacts.model.artifactType'),
      'components.comp-train.outputDefinitions.artifacts.model.artifactType',
      'required',
    ],
    [
      'a malformed retry duration',
      (s) => setPath(s, `${train}.retryPolicy.backoffDuration`, '1.5 seconds'),
      `${train}.retryPolicy.backoffDuration`,
      'expected a duration such as "0s", "1.5s" or "3600s", got "1.5 seconds"',
    ],
    [
      'a negative retry count',
      (s) => setPath(s, `${train}.retryPolicy.maxRetryCount`, -1),
      `${train}.retryPolicy.maxRetryCount`,
      'expected a whole number >= 0, got -1',
    ],
    [
      'a caching flag that is not a boolean',
      (s) => setPath(s, `${train}.cachingOptions.enableCache`, 'yes'),
      `${train}.cachingOptions.enableCache`,
      'must be true or false',
    ],
    [
      'a custom cache key that is not a string',
      (s) => setPath(s, `${train}.cachingOptions.cacheKey`, 7),
      `${train}.cachingOptions.cacheKey`,
      'must be a string',
    ],
    [
      'a pipeline output from a missing task',
      (s) => setPath(s, 'root.dag.outputs.parameters.passed.valueFromParameter.producerSubtask', 'judge'),
      'root.dag.outputs.parameters.passed.valueFromParameter.producerSubtask',
      'task "judge" does not exist in this DAG',
    ],
    [
      'a pipeline output the pipeline does not declare',
      (s) => deletePath(s, 'root.outputDefinitions'),
      'root.dag.outputs.parameters.passed',
      'the pipeline declares no output parameter "passed"',
    ],
    [
      'a dependency on a name that only Object.prototype has',
      (s) => setPath(s, `${train}.dependentTasks`, ['constructor']),
      `${train}.dependentTasks`,
      'task "constructor" does not exist in this DAG',
    ],
    [
      'a component reference that only Object.prototype has',
      (s) => setPath(s, `${train}.componentRef.name`, 'toString'),
      `${train}.componentRef.name`,
      'component "toString" is not defined in components',
    ],
    [
      'an unknown trigger strategy',
      (s) => setPath(s, `${train}.triggerPolicy.strategy`, 'WHENEVER'),
      `${train}.triggerPolicy.strategy`,
      'unknown strategy "WHENEVER"',
    ],
  ];

  test('has at least 20 distinct bad specs', () => {
    expect(new Set(cases.map(([name]) => name)).size).toBeGreaterThanOrEqual(20);
  });

  test.each(cases)('%s', (_name, mutation, path, message) => {
    const { error, issues } = issuesOf(mutated(mutation));
    expect(error).not.toBeInstanceOf(SpecNotSupportedError);
    expect(issues).toContainEqual({ path, message: expect.stringContaining(message) });
    expect(error.message).toContain(`${path}: `);
  });

  test('a non-object document', () => {
    expect(issuesOf(['a list']).issues).toEqual([{ path: 'document', message: 'must be a mapping (a PipelineSpec)' }]);
  });

  test('reports every issue, not just the first', () => {
    const { issues } = issuesOf(
      mutated((s) => {
        setPath(s, 'schemaVersion', '3');
        setPath(s, `${train}.componentRef.name`, 'comp-nope');
        setPath(s, 'deploymentSpec.executors.exec-evaluate.container.image', '');
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['schemaVersion', `${train}.componentRef.name`, 'deploymentSpec.executors.exec-evaluate.container.image']),
    );
  });

  test('throws SpecValidationError listing both kinds when a spec is invalid and uses unsupported features', () => {
    const { error, issues } = issuesOf(
      mutated((s) => {
        setPath(s, 'schemaVersion', '3');
        setPath(s, 'deploymentSpec.executors.exec-prepare', { resolver: {} });
      }),
    );
    expect(error).not.toBeInstanceOf(SpecNotSupportedError);
    expect(issues).toEqual([
      { path: 'schemaVersion', message: expect.any(String) },
      { path: 'deploymentSpec.executors.exec-prepare.resolver', message: expect.stringContaining('not supported yet') },
    ]);
  });
});

describe('validatePipelineSpec: control flow accepted, the rest refused as unsupported', () => {
  const subDag = (s: PipelineSpec) => {
    setPath(s, 'components.comp-group', {
      dag: { tasks: { inner: { componentRef: { name: 'comp-prepare' }, taskInfo: { name: 'inner' } } } },
    });
    setPath(s, 'root.dag.tasks.group', { componentRef: { name: 'comp-group' }, taskInfo: { name: 'group' } });
  };
  const cases: Array<[string, Mutation, string, string]> = [
    [
      'a resolver executor',
      (s) => setPath(s, 'deploymentSpec.executors.exec-prepare', { resolver: {} }),
      'deploymentSpec.executors.exec-prepare.resolver',
      'a resolver executor',
    ],
  ];

  const accepted: Array<[string, Mutation]> = [
    ['a condition',
      (s) => setPath(s, `${train}.triggerPolicy.condition`, "inputs.parameter_values['lr'] > 0")],
    ['an exit handler trigger',
      (s) => setPath(s, `${evaluate}.triggerPolicy.strategy`, 'ALL_UPSTREAM_TASKS_COMPLETED')],
    ['a ParallelFor over parameters',
      (s) => {
        subDag(s);
        setPath(s, 'root.dag.tasks.group.parameterIterator', { itemInput: 'lr', items: { raw: '[0.1, 0.2]' } });
      }],
    ['a ParallelFor over artifacts',
      (s) => {
        subDag(s);
        setPath(s, 'root.dag.tasks.group.artifactIterator', { itemInput: 'dataset', items: { inputArtifact: 'x' } });
      }],
    ['a ParallelFor parallelism limit', (s) => setPath(s, `${train}.iteratorPolicy`, { parallelismLimit: 2 })],
    ['a pipeline input artifact that a task consumes',
      (s) => {
        setPath(s, 'root.inputDefinitions.artifacts.seed', { artifactType: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' } });
        setPath(s, `${train}.inputs.artifacts.dataset`, { componentInputArtifact: 'seed' });
      }],
    ['a task that runs a sub-DAG', subDag],
    ['an exit handler status input',
      (s) => setPath(s, `${train}.inputs.parameters.notes`, { taskFinalStatus: { producerTask: 'prepare' } })],
    ['a TASK_FINAL_STATUS parameter type',
      (s) => setPath(s, 'components.comp-train.inputDefinitions.parameters.notes.parameterType', 'TASK_FINAL_STATUS')],
    ['a parameter expression selector',
      (s) => setPath(s, `${train}.inputs.parameters.lr.parameterExpressionSelector`, 'parseJson(string_value)["lr"]')],
    ['an importer executor',
      (s) =>
        setPath(s, 'deploymentSpec.executors.exec-prepare', {
          importer: { artifactUri: { constant: 'gs://b/k' }, typeSchema: { schemaTitle: 'system.Dataset' } },
        })],
    ['a dsl.OneOf parameter output',
      (s) =>
        setPath(s, 'root.dag.outputs.parameters.passed', {
          valueFromOneof: { parameterSelectors: [{ producerSubtask: 'evaluate', outputParameterKey: 'passed' }] },
        })],
    ['a dsl.OneOf artifact output',
      (s) => {
        setPath(s, 'root.outputDefinitions.artifacts.model', { artifactType: { schemaTitle: 'system.Model', schemaVersion: '0.0.1' } });
        setPath(s, 'root.dag.outputs.artifacts.model.artifactSelectors', [
          { producerSubtask: 'train', outputArtifactKey: 'model' },
          { producerSubtask: 'train', outputArtifactKey: 'model' },
        ]);
      }],
  ];

  test.each(accepted)('accepts %s (the engine runs it)', (_name, mutation) => {
    expect(() => validatePipelineSpec(mutated(mutation))).not.toThrow();
  });

  test.each(cases)('%s', (_name, mutation, path, feature) => {
    const { error, issues } = issuesOf(mutated(mutation));
    expect(error).toBeInstanceOf(SpecNotSupportedError);
    expect(error.message).toContain('not supported yet');
    expect(issues).toContainEqual({ path, message: expect.stringContaining(feature) });
    for (const issue of issues) expect(issue.message).toMatch(/not supported yet$/);
  });

  test('a sub-DAG is still checked for structure', () => {
    const { error, issues } = issuesOf(
      mutated((s) => {
        subDag(s);
        setPath(s, 'components.comp-group.dag.tasks.inner.componentRef.name', 'comp-missing');
      }),
    );
    expect(error).not.toBeInstanceOf(SpecNotSupportedError);
    expect(issues).toContainEqual({
      path: 'components.comp-group.dag.tasks.inner.componentRef.name',
      message: 'component "comp-missing" is not defined in components',
    });
  });
});

describe('validateRunParameters', () => {
  const spec = mutated((s) => {
    setPath(s, 'root.inputDefinitions.parameters.flag', { parameterType: 'BOOLEAN', isOptional: true });
    setPath(s, 'root.inputDefinitions.parameters.items', { parameterType: 'LIST', isOptional: true });
    setPath(s, 'root.inputDefinitions.parameters.config', { parameterType: 'STRUCT', isOptional: true });
  });

  const accepted: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['fills defaults and leaves optional inputs out', { epochs: 3 }, { epochs: 3, lr: 0.1 }],
    ['reads strings as the declared types', { epochs: '3', lr: '0.5', flag: 'True' }, { epochs: 3, lr: 0.5, flag: true }],
    [
      'reads JSON strings for lists and structs',
      { epochs: 1, items: '[1, "a"]', config: '{"a": {"b": 2}}' },
      { epochs: 1, lr: 0.1, items: [1, 'a'], config: { a: { b: 2 } } },
    ],
    ['takes typed JSON values as they are', { epochs: 2, flag: false, items: [], config: {} }, { epochs: 2, lr: 0.1, flag: false, items: [], config: {} }],
    ['turns a number given for a string into text', { epochs: 1, tag: 7 }, { epochs: 1, lr: 0.1, tag: '7' }],
    ['treats null as not given', { epochs: 1, lr: null, tag: null }, { epochs: 1, lr: 0.1 }],
    ['accepts an integral number written with a fraction', { epochs: '4.0' }, { epochs: 4, lr: 0.1 }],
  ];
  test.each(accepted)('%s', (_name, params, expected) => {
    expect(validateRunParameters(spec, params)).toEqual(expected);
  });

  const rejected: Array<[string, Record<string, unknown>, string, string]> = [
    ['a name that only Object.prototype has', { epochs: 1, constructor: 3 }, 'runtime_config.parameters.constructor', 'unknown parameter'],
    [
      'an unknown name',
      { epochs: 1, batch: 3 },
      'runtime_config.parameters.batch',
      'unknown parameter; the pipeline declares lr, epochs, tag, flag, items, config',
    ],
    ['a missing required parameter', {}, 'runtime_config.parameters.epochs', 'required (NUMBER_INTEGER, no default)'],
    ['a non-integral integer', { epochs: 2.5 }, 'runtime_config.parameters.epochs', 'expected an integer, got the number 2.5'],
    ['a non-integral integer string', { epochs: '2.5' }, 'runtime_config.parameters.epochs', 'expected an integer, got 2.5'],
    ['a non-number string', { epochs: 'three' }, 'runtime_config.parameters.epochs', 'expected an integer, got "three"'],
    ['a non-boolean string', { epochs: 1, flag: 'yes' }, 'runtime_config.parameters.flag', 'expected true or false, got "yes"'],
    ['a struct that is a list', { epochs: 1, config: '[1]' }, 'runtime_config.parameters.config', 'expected a struct, got a list'],
    ['malformed JSON', { epochs: 1, items: '[1,' }, 'runtime_config.parameters.items', 'expected a list as JSON'],
    ['a list for a string', { epochs: 1, tag: ['a'] }, 'runtime_config.parameters.tag', 'expected a string, got a list'],
  ];
  test.each(rejected)('%s', (_name, params, path, message) => {
    let caught: unknown;
    try {
      validateRunParameters(spec, params);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    expect((caught as SpecValidationError).issues).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  test('an invalid value is not also reported as missing', () => {
    expect(() => validateRunParameters(spec, { epochs: 'x' })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: 'runtime_config.parameters.epochs' })] }),
    );
  });

  test('a pipeline with no inputs takes no parameters', () => {
    const bare = mutated((s) => deletePath(s, 'root.inputDefinitions'));
    expect(getPath(bare, 'root.inputDefinitions')).toBeUndefined();
    expect(validateRunParameters(bare, {})).toEqual({});
    expect(() => validateRunParameters(bare, { x: 1 })).toThrow('the pipeline declares no parameters');
  });
});

describe('validatePipelineSpec checks loops', () => {
  test.each<[string, unknown, string, string]>([
    ['raw items that are not a JSON list', { itemInput: 'x', items: { raw: '{"a": 1}' } }, 'root.dag.tasks.train.parameterIterator.items.raw', 'must be a JSON list'],
    ['no item input', { items: { raw: '[1]' } }, 'root.dag.tasks.train.parameterIterator.itemInput', 'required'],
    ['a container task as the loop body', { itemInput: 'x', items: { raw: '[1]' } }, 'root.dag.tasks.train.componentRef', 'a loop body must be a DAG component'],
  ])('%s', (_name, iterator, path, message) => {
    const { issues } = issuesOf(mutated((s) => setPath(s, 'root.dag.tasks.train.parameterIterator', iterator)));
    expect(issues).toContainEqual({ path, message: expect.stringContaining(message) });
  });
});

describe('validatePipelineSpec checks resources that read inputs', () => {
  const resources = 'deploymentSpec.executors.exec-train.container.resources';
  /** What kfp compiles for `train.set_cpu_limit(cpu)` with a pipeline input `cpu`. */
  const cpuLimitFromInput = (s: PipelineSpec) => {
    setPath(s, 'root.inputDefinitions.parameters.cpu', { parameterType: 'STRING' });
    setPath(s, `${resources}.resourceCpuLimit`, "{{$.inputs.parameters['pipelinechannel--cpu']}}");
    setPath(s, `${train}.inputs.parameters.cpu_limit`, { runtimeValue: { constant: "{{$.inputs.parameters['pipelinechannel--cpu']}}" } });
    setPath(s, `${train}.inputs.parameters.pipelinechannel--cpu`, { componentInputParameter: 'cpu' });
  };

  test.each<[string, Mutation]>([
    ['a cpu limit from a pipeline input (the inputs kfp adds to feed it)', cpuLimitFromInput],
    ['a memory limit from an upstream output, read without a feeder input',
      (s) => {
        setPath(s, `${resources}.resourceMemoryLimit`, "{{$.inputs.parameters['pipelinechannel--prepare-count']}}");
        setPath(s, `${train}.inputs.parameters.pipelinechannel--prepare-count`, { taskOutputParameter: { producerTask: 'prepare', outputParameterKey: 'count' } });
      }],
    ['an accelerator from inputs',
      (s) => {
        setPath(s, `${resources}.accelerator`, { resourceType: "{{$.inputs.parameters['pipelinechannel--gpu']}}", resourceCount: "{{$.inputs.parameters['pipelinechannel--gpus']}}" });
        setPath(s, `${train}.inputs.parameters.accelerator_type`, { runtimeValue: { constant: "{{$.inputs.parameters['pipelinechannel--gpu']}}" } });
        setPath(s, `${train}.inputs.parameters.accelerator_count`, { runtimeValue: { constant: "{{$.inputs.parameters['pipelinechannel--gpus']}}" } });
        setPath(s, `${train}.inputs.parameters.pipelinechannel--gpu`, { runtimeValue: { constant: 'nvidia.com/gpu' } });
        setPath(s, `${train}.inputs.parameters.pipelinechannel--gpus`, { componentInputParameter: 'epochs' });
      }],
    ['static quantities and the deprecated numbers kfp writes beside them',
      (s) => setPath(s, resources, { cpuLimit: 0.5, resourceCpuLimit: '500m', memoryRequest: 0.5, resourceMemoryRequest: '512Mi', accelerator: { type: 'tpu', count: '2' } })],
  ])('accepts %s', (_name, mutation) => {
    expect(() => validatePipelineSpec(mutated(mutation))).not.toThrow();
  });

  test('a resource feeder input is still refused when the executor sets no such resource', () => {
    const { issues } = issuesOf(mutated((s) => setPath(s, `${train}.inputs.parameters.cpu_limit`, { runtimeValue: { constant: '2' } })));
    expect(issues).toContainEqual({ path: `${train}.inputs.parameters.cpu_limit`, message: 'component "comp-train" declares no input parameter "cpu_limit"' });
  });

  test('a resource that reads an input the task does not supply', () => {
    const { issues } = issuesOf(mutated((s) => setPath(s, `${resources}.resourceCpuLimit`, "{{$.inputs.parameters['pipelinechannel--cpu']}}")));
    expect(issues).toEqual([
      { path: `${train}.inputs.parameters.pipelinechannel--cpu`, message: "read by the executor's resources.resourceCpuLimit but not supplied" },
    ]);
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    ['a cpu limit that is not a CPU quantity', { resourceCpuLimit: 'abc' }, 'resourceCpuLimit', '"abc" is not a CPU quantity'],
    ['a memory request in an unknown unit', { resourceMemoryRequest: '1GB' }, 'resourceMemoryRequest', '"1GB" is not a memory quantity'],
    ['a fractional accelerator count', { accelerator: { resourceType: 'nvidia.com/gpu', resourceCount: '1.5' } }, 'accelerator.resourceCount', '"1.5" is not an accelerator count'],
  ])('refuses %s', (_name, spec, key, message) => {
    const { issues } = issuesOf(mutated((s) => setPath(s, resources, spec)));
    expect(issues).toEqual([{ path: `${resources}.${key}`, message: expect.stringContaining(message) }]);
  });
});

describe('validateRunInputArtifacts', () => {
  const dataset = (uri: string): ArtifactRef => ({ name: 'data', uri, schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: { rows: 3 } });
  const known: Record<string, ArtifactRef> = {
    d1: dataset('/store/d1'),
    d2: dataset('/store/d2'),
    any: { ...dataset('/store/any'), schemaTitle: 'system.Artifact' },
    model: { ...dataset('/store/model'), schemaTitle: 'system.Model' },
  };
  const find = (id: string) => Promise.resolve(known[id]);
  const spec = mutated((s) => {
    setPath(s, 'root.inputDefinitions.artifacts', {
      data: { artifactType: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' } },
      shards: { artifactType: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' }, isArtifactList: true, isOptional: true },
      extra: { artifactType: { schemaTitle: 'system.Artifact', schemaVersion: '0.0.1' }, isOptional: true },
    });
  });

  test.each<[string, Record<string, unknown>, Record<string, ArtifactRef[]>]>([
    ['one artifact by id; optional inputs not given stay unset', { data: { artifact_id: 'd1' } }, { data: [known.d1] }],
    ['a list input by artifact_ids, in order', { data: { artifact_id: 'd1' }, shards: { artifact_ids: ['d2', 'd1'] } }, { data: [known.d1], shards: [known.d2, known.d1] }],
    ['a single input given as a one-id artifact_ids (a run read back from the API)', { data: { artifact_ids: ['d1'] } }, { data: [known.d1] }],
    ['system.Artifact on either side', { data: { artifact_id: 'any' }, extra: { artifact_id: 'model' } }, { data: [known.any], extra: [known.model] }],
  ])('accepts %s', async (_name, given, expected) => {
    await expect(validateRunInputArtifacts(spec, given, find)).resolves.toEqual(expected);
  });

  const path = (name: string) => `runtime_config.input_artifacts['${name}']`;
  test.each<[string, Record<string, unknown>, string, string]>([
    ['a missing required input', {}, path('data'), 'required (system.Dataset, not optional)'],
    ['an empty list for a required input', { data: { artifact_ids: [] } }, path('data'), 'required (system.Dataset, not optional)'],
    ['an unknown name', { data: { artifact_id: 'd1' }, dataset: { artifact_id: 'd1' } }, path('dataset'), 'unknown input artifact; the pipeline declares data, shards, extra'],
    ['an artifact that does not exist', { data: { artifact_id: 'nope' } }, path('data'), 'artifact "nope" does not exist'],
    ['an artifact of another type', { data: { artifact_id: 'model' } }, path('data'), 'artifact "model" is a system.Model, but the input takes a system.Dataset'],
    ['several artifacts for a single input', { data: { artifact_ids: ['d1', 'd2'] } }, path('data'), 'the input takes one artifact, got 2'],
    ['a bare id', { data: 'd1' }, path('data'), 'expected {"artifact_id": "<id>"}'],
    ['both forms at once', { data: { artifact_id: 'd1', artifact_ids: ['d1'] } }, path('data'), 'expected {"artifact_id": "<id>"}'],
    ['a uri instead of an id', { data: { uri: '/store/d1' } }, path('data'), 'expected {"artifact_id": "<id>"}'],
    ['a list form with a non-string id', { data: { artifact_id: 'd1' }, shards: { artifact_ids: [1] } }, path('shards'), 'expected {"artifact_id": "<id>"} or {"artifact_ids": ["<id>", ...]}'],
  ])('refuses %s', async (_name, given, issuePath, message) => {
    const caught = await validateRunInputArtifacts(spec, given, find).then(() => undefined, (error: unknown) => error);
    expect(caught).toBeInstanceOf(SpecValidationError);
    expect((caught as SpecValidationError).message).toMatch(/^invalid runtime input artifacts/);
    expect((caught as SpecValidationError).issues).toEqual([{ path: issuePath, message }]);
  });

  test('a pipeline without input artifacts takes none', async () => {
    await expect(validateRunInputArtifacts(baseSpec(), {}, find)).resolves.toEqual({});
    await expect(validateRunInputArtifacts(baseSpec(), { data: { artifact_id: 'd1' } }, find)).rejects.toThrow('the pipeline declares no input artifacts');
  });
});

describe('sub-DAG nesting', () => {
  /** A spec whose root runs `comp-0`, and `comp-i` runs `comp-(i+1)` under a task named `name`, `depth` deep. */
  function nestedSpec(depth: number, name: (i: number) => string, last = `comp-${depth}`) {
    const components: Record<string, unknown> = { 'comp-echo': { executorLabel: 'exec-echo' } };
    for (let i = 0; i < depth; i++) {
      const inner = i === depth - 1 ? last : `comp-${i + 1}`;
      components[`comp-${i}`] = { dag: { tasks: { [name(i)]: { taskInfo: { name: name(i) }, componentRef: { name: inner } } } } };
    }
    if (last === `comp-${depth}`) components[last] = { executorLabel: 'exec-echo' };
    return {
      pipelineInfo: { name: 'nested' },
      schemaVersion: '2.1.0',
      components,
      deploymentSpec: { executors: { 'exec-echo': { container: { image: 'x', command: ['true'] } } } },
      root: { dag: { tasks: { top: { taskInfo: { name: 'top' }, componentRef: { name: 'comp-0' } } } } },
    };
  }
  const issuesOf = (spec: unknown) => {
    try {
      validatePipelineSpec(spec);
    } catch (err) {
      if (err instanceof SpecValidationError) return err.issues;
      throw err;
    }
    return [];
  };

  test('a chain of 20 sub-DAGs with short names is fine', () => {
    expect(issuesOf(nestedSpec(20, (i) => `t${i}`))).toEqual([]);
  });

  test('a component that runs itself through others is refused, naming the cycle', () => {
    expect(issuesOf(nestedSpec(3, (i) => `t${i}`, 'comp-0'))).toEqual([
      { path: 'components.comp-0.dag', message: 'runs itself, so it would nest without end: comp-0 -> comp-1 -> comp-2 -> comp-0' },
    ]);
  });

  test('task paths longer than the store can key are refused', () => {
    expect(issuesOf(nestedSpec(10, (i) => `${i}`.padEnd(250, 'x')))).toEqual([
      { path: 'root.dag', message: expect.stringMatching(/^nests task paths up to 25\d\d bytes long .* more than the 2048 byte limit$/) },
    ]);
  });

  test('10,000 chained components are checked without overflowing the stack', () => {
    expect(issuesOf(nestedSpec(10_000, () => 't'))).toEqual([
      { path: 'root.dag', message: expect.stringContaining('more than the 2048 byte limit') },
    ]);
  });
});
