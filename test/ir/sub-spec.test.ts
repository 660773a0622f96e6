import { tasksPerInstance } from '../../ir/fanout';
import { inputsReadBy, subSpec } from '../../ir/sub-spec';
import type { ComponentSpec, PipelineSpec, PipelineTaskSpec, TaskInputArtifact, TaskInputParameter, TaskOutputs } from '../../ir/types';

/** A task of component `component` reading `reads` (input name → the enclosing DAG's input it takes). */
function task(component: string, reads: Record<string, string> = {}, extra: Partial<PipelineTaskSpec> = {}): PipelineTaskSpec {
  const parameters: Record<string, TaskInputParameter> = {};
  const artifacts: Record<string, TaskInputArtifact> = {};
  for (const [name, source] of Object.entries(reads)) {
    if (source.startsWith('artifact:')) artifacts[name] = { componentInputArtifact: source.slice('artifact:'.length) };
    else parameters[name] = { componentInputParameter: source };
  }
  return { taskInfo: { name: component }, componentRef: { name: component }, inputs: { parameters, artifacts }, ...extra };
}

const dag = (tasks: Record<string, PipelineTaskSpec>): ComponentSpec => ({ dag: { tasks } });
const step = (label: string): ComponentSpec => ({ executorLabel: label, inputDefinitions: { parameters: { value: { parameterType: 'STRING' } } } });
const loopOver = (items: string, itemInput: string): Partial<PipelineTaskSpec> => ({ parameterIterator: { itemInput, items: { inputParameter: items } } });

/**
 * root: prepare, inner (a sub-DAG also used in loop 1's body), loop 1, loop 6 (its step `tag` is
 * also in loop 1's body), and a condition with a report. Loop 1's body: inner, tag, an importer, a
 * condition, and a nested loop 3 whose body holds a condition of its own.
 */
function pipeline(): PipelineSpec {
  return {
    pipelineInfo: { name: 'prune', description: 'a long description no child reads' },
    schemaVersion: '2.1.0',
    sdkVersion: 'kfp-2.17.0',
    defaultPipelineRoot: '/tmp/root',
    components: {
      'comp-prepare': step('exec-prepare'),
      'comp-inner': { ...dag({ work: task('comp-work', { value: 'word' }) }), inputDefinitions: { parameters: { word: { parameterType: 'STRING' } } } },
      'comp-work': step('exec-work'),
      'comp-tag': step('exec-tag'),
      'comp-load': { executorLabel: 'exec-load' },
      'comp-picked': step('exec-picked'),
      'comp-pair': step('exec-pair'),
      'comp-deep': step('exec-deep'),
      'comp-report': step('exec-report'),
      'comp-condition-2': dag({ picked: task('comp-picked', { value: 'pipelinechannel--item-1' }) }),
      'comp-condition-4': dag({ deep: task('comp-deep', { value: 'pipelinechannel--item-3' }) }),
      'comp-for-loop-3': {
        ...dag({
          pair: task('comp-pair', { outer: 'pipelinechannel--item-1', inner: 'pipelinechannel--item-3' }),
          'condition-4': task('comp-condition-4', { 'pipelinechannel--item-3': 'pipelinechannel--item-3' }, { triggerPolicy: { condition: "inputs.parameter_values['pipelinechannel--item-3'] == '2'" } }),
        }),
        inputDefinitions: { parameters: { 'pipelinechannel--item-3': { parameterType: 'STRING' } } },
      },
      'comp-for-loop-1': {
        ...dag({
          inner: task('comp-inner', { word: 'pipelinechannel--item-1' }),
          tag: task('comp-tag', { value: 'pipelinechannel--dir' }),
          load: task('comp-load'),
          'condition-2': task('comp-condition-2', { 'pipelinechannel--item-1': 'pipelinechannel--item-1' }, { triggerPolicy: { condition: "inputs.parameter_values['pipelinechannel--item-1'] == 'b'" } }),
          'for-loop-3': task('comp-for-loop-3', { 'pipelinechannel--inner-items': 'pipelinechannel--inner-items' }, loopOver('pipelinechannel--inner-items', 'pipelinechannel--item-3')),
          read: task('comp-work', { value: 'artifact:pipelinechannel--data' }),
        }),
        inputDefinitions: {
          parameters: {
            'pipelinechannel--dir': { parameterType: 'STRING' },
            'pipelinechannel--words': { parameterType: 'LIST' },
            'pipelinechannel--item-1': { parameterType: 'STRING' },
          },
        },
      },
      'comp-for-loop-6': dag({ tag: task('comp-tag', { value: 'pipelinechannel--item-5' }) }),
      'comp-condition-7': dag({ report: task('comp-report') }),
    },
    deploymentSpec: {
      executors: {
        ...Object.fromEntries(['prepare', 'work', 'tag', 'picked', 'pair', 'deep', 'report'].map((name) => [`exec-${name}`, { container: { image: 'alpine', command: ['sh', '-c', `echo ${name}`] } }])),
        'exec-load': { importer: { artifactUri: { constant: '/data/x' }, typeSchema: { schemaTitle: 'system.Dataset' } } },
      },
    },
    root: {
      dag: {
        tasks: {
          prepare: task('comp-prepare'),
          inner: task('comp-inner', { word: 'word' }),
          'for-loop-1': task('comp-for-loop-1', { 'pipelinechannel--dir': 'dir', 'pipelinechannel--words': 'words' }, loopOver('pipelinechannel--words', 'pipelinechannel--item-1')),
          'for-loop-6': task('comp-for-loop-6', {}, loopOver('words', 'pipelinechannel--item-5')),
          'condition-7': task('comp-condition-7'),
        },
      },
      inputDefinitions: { parameters: { dir: { parameterType: 'STRING' }, words: { parameterType: 'LIST' }, word: { parameterType: 'STRING' } } },
    },
  };
}

describe('subSpec: the part of a spec a child workflow running a DAG component needs', () => {
  test.each([
    [
      'a body with a sub-DAG shared with the root, a step shared with another loop, an importer, a condition, and a nested loop with a condition',
      'comp-for-loop-1',
      ['comp-inner', 'comp-work', 'comp-tag', 'comp-load', 'comp-picked', 'comp-pair', 'comp-deep', 'comp-condition-2', 'comp-condition-4', 'comp-for-loop-3', 'comp-for-loop-1'],
      ['exec-work', 'exec-tag', 'exec-pair', 'exec-deep', 'exec-load', 'exec-picked'],
    ],
    ['a nested loop body whose tasks include a condition', 'comp-for-loop-3', ['comp-pair', 'comp-deep', 'comp-condition-4', 'comp-for-loop-3'], ['exec-pair', 'exec-deep']],
    ['a body of one step that another loop uses too', 'comp-for-loop-6', ['comp-tag', 'comp-for-loop-6'], ['exec-tag']],
    ['a condition branch', 'comp-condition-2', ['comp-picked', 'comp-condition-2'], ['exec-picked']],
  ])('%s', (_what, body, components, executors) => {
    const whole = pipeline();
    const { spec } = subSpec(whole, undefined, body);
    expect(Object.keys(spec.components).sort()).toEqual([...components].sort());
    expect(Object.keys(spec.deploymentSpec.executors).sort()).toEqual([...executors].sort());
    for (const name of components) expect(spec.components[name]).toEqual(whole.components[name]);
    for (const label of executors) expect(spec.deploymentSpec.executors[label]).toEqual(whole.deploymentSpec.executors[label]);
  });

  test('every reference in the result resolves, and the fan-out rule counts the body as in the whole spec', () => {
    const whole = pipeline();
    for (const body of ['comp-for-loop-1', 'comp-for-loop-3', 'comp-for-loop-6']) {
      const { spec } = subSpec(whole, undefined, body);
      for (const component of Object.values(spec.components)) {
        for (const t of Object.values(component.dag?.tasks ?? {})) expect(Object.keys(spec.components)).toContain(t.componentRef.name);
        if (component.executorLabel) expect(Object.keys(spec.deploymentSpec.executors)).toContain(component.executorLabel);
      }
      expect(tasksPerInstance(spec, spec.components[body])).toBe(tasksPerInstance(whole, whole.components[body]));
    }
  });

  test('the root runs nothing, top-level fields are only the required ones, and the input is left as it was', () => {
    const whole = pipeline();
    const before = structuredClone(whole);
    const { spec } = subSpec(whole, undefined, 'comp-for-loop-6');
    expect(spec.root).toEqual({ dag: { tasks: {} } });
    expect(spec.pipelineInfo).toEqual({ name: 'prune' });
    expect(Object.keys(spec).sort()).toEqual(['components', 'deploymentSpec', 'pipelineInfo', 'root', 'schemaVersion']);
    expect(spec.schemaVersion).toBe('2.1.0');
    expect(whole).toEqual(before);
  });

  test('a component that refers to a missing one, or to itself, still ends', () => {
    const whole = pipeline();
    whole.components['comp-for-loop-6'] = dag({ self: task('comp-for-loop-6'), gone: task('comp-gone'), tag: task('comp-tag') });
    expect(Object.keys(subSpec(whole, undefined, 'comp-for-loop-6').spec.components).sort()).toEqual(['comp-for-loop-6', 'comp-tag']);
  });

  test.each([
    ['no platform document', undefined, undefined],
    [
      'kfp-kubernetes executor configs: only the kept executors\', run-wide settings stay',
      {
        platforms: {
          kubernetes: {
            deploymentSpec: { executors: { 'exec-tag': { activeDeadlineSeconds: '30' }, 'exec-report': { activeDeadlineSeconds: '60' }, 'exec-prepare': { nodeSelector: { labels: { a: 'b' } } } } },
            pipelineConfig: { workspace: { size: '1Gi' } },
          },
        },
      },
      {
        platforms: {
          kubernetes: {
            deploymentSpec: { executors: { 'exec-tag': { activeDeadlineSeconds: '30' } } },
            pipelineConfig: { workspace: { size: '1Gi' } },
          },
        },
      },
    ],
    ['a document without executor configs, as it is', { platforms: { kubernetes: { pipelineConfig: { workspace: {} } } } }, { platforms: { kubernetes: { pipelineConfig: { workspace: {} } } } }],
  ])('the platform document: %s', (_what, platformSpec, expected) => {
    expect(subSpec(pipeline(), platformSpec, 'comp-for-loop-6').platformSpec).toEqual(expected);
  });
});

describe('inputsReadBy: the inputs a DAG component instance reads', () => {
  const ref = (name: string) => ({ name, uri: `/data/${name}`, schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: {} });
  const words = Array.from({ length: 500 }, (_, i) => `w${i}`);
  const given: TaskOutputs = {
    parameters: { dir: '/tmp/d', words, word: 'top', 'pipelinechannel--dir': '/tmp/d', 'pipelinechannel--words': words, 'pipelinechannel--inner-items': ['1', '2'], 'pipelinechannel--item-1': 'a' },
    artifacts: { 'pipelinechannel--data': [ref('data')], 'pipelinechannel--collected': [ref('c0'), ref('c1')] },
  };

  test.each([
    [
      'a loop body: what its tasks, branches and nested loop read; not the list it iterates over, the root\'s inputs, or a name its sub-DAG declares itself',
      'comp-for-loop-1',
      { parameters: ['pipelinechannel--dir', 'pipelinechannel--inner-items', 'pipelinechannel--item-1'], artifacts: ['pipelinechannel--data'] },
    ],
    ['a nested loop body: the outer item it inherits, read only inside it', 'comp-for-loop-3', { parameters: ['pipelinechannel--item-1'], artifacts: [] }],
    ['a body reading nothing of what it is given', 'comp-condition-7', { parameters: [], artifacts: [] }],
  ])('%s', (_what, body, expected) => {
    const read = inputsReadBy(pipeline(), body, given);
    expect({ parameters: Object.keys(read.parameters).sort(), artifacts: Object.keys(read.artifacts).sort() }).toEqual(expected);
    for (const [name, value] of Object.entries(read.parameters)) expect(value).toEqual(given.parameters[name]);
    for (const [name, refs] of Object.entries(read.artifacts)) expect(refs).toEqual(given.artifacts[name]);
  });

  test('a name declared by any sub-DAG on the way down is that sub-DAG\'s own; a reference back up still ends', () => {
    const whole = pipeline();
    whole.components['comp-body'] = dag({ middle: task('comp-middle', { x: 'a' }) });
    whole.components['comp-middle'] = { ...dag({ inner: task('comp-inner-2') }), inputDefinitions: { parameters: { x: { parameterType: 'STRING' } } } };
    whole.components['comp-inner-2'] = dag({ x: task('comp-work', { value: 'x' }), y: task('comp-work', { value: 'y' }), back: task('comp-body') });
    const read = inputsReadBy(whole, 'comp-body', { parameters: { a: 1, x: 2, y: 3, z: 4 }, artifacts: {} });
    expect(read).toEqual({ parameters: { a: 1, y: 3 }, artifacts: {} });
  });
});
