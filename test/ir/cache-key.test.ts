import { createHash } from 'node:crypto';
import { cacheKeyOf, customFingerprint, fingerprintOf, taskCachePlan, withCaching } from '../../ir/cache-key';
import { artifactIdFor } from '../../ir/ids';
import type { ComponentSpec, ContainerSpec, PipelineSpec, PipelineTaskSpec, TaskOutputs } from '../../ir/types';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const container: ContainerSpec = { image: 'python:3.11', command: ['python3', '-c'], args: ['print(1)', '{{$.inputs.parameters[\'n\']}}'] };
const component: ComponentSpec = {
  executorLabel: 'exec-train',
  outputDefinitions: {
    parameters: { score: { parameterType: 'NUMBER_DOUBLE' } },
    artifacts: { model: { artifactType: { schemaTitle: 'system.Model', schemaVersion: '0.0.1' } } },
  },
};
const dataset = { name: 'data', uri: '/artifacts/run-1/root/prep/data', schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: {} };
const inputs: TaskOutputs = { parameters: { n: 3, lr: 0.1, note: 'a<b & c>d' }, artifacts: { data: [dataset] } };
const task = (cachingOptions?: PipelineTaskSpec['cachingOptions']): PipelineTaskSpec =>
  ({ taskInfo: { name: 'train' }, componentRef: { name: 'comp-train' }, cachingOptions }) as PipelineTaskSpec;

describe('cache fingerprint (KFP cacheutils.GenerateCacheKey + GenerateFingerPrint)', () => {
  test('is sha256 of the protojson key as Go re-marshals it: sorted keys, HTML-safe escapes, no empty fields', () => {
    const expected =
      '{"containerSpec":{"cmdArgs":["python3","-c","print(1)","{{$.inputs.parameters[\'n\']}}"],"image":"python:3.11"},' +
      `"inputArtifactNames":{"data":{"artifactNames":["${artifactIdFor(dataset.uri)}"]}},` +
      '"inputParameterValues":{"lr":0.1,"n":3,"note":"a\\u003cb \\u0026 c\\u003ed"},' +
      '"outputArtifactsSpec":{"model":{"type":{"schemaTitle":"system.Model","schemaVersion":"0.0.1"}}},' +
      '"outputParametersSpec":{"score":"NUMBER_DOUBLE"}}';
    expect(fingerprintOf(cacheKeyOf(container, inputs, component))).toBe(sha256(expected));
  });

  test('a step with no inputs or outputs hashes its container alone', () => {
    expect(fingerprintOf(cacheKeyOf({ image: 'alpine' }, { parameters: {}, artifacts: {} }, {}))).toBe(sha256('{"containerSpec":{"image":"alpine"}}'));
  });

  test('the same inputs give the same key, whatever their order', () => {
    const reordered: TaskOutputs = { parameters: { note: 'a<b & c>d', lr: 0.1, n: 3 }, artifacts: { data: [{ ...dataset }] } };
    expect(taskCachePlan(task({ enableCache: true }), component, container, reordered)).toEqual(taskCachePlan(task({ enableCache: true }), component, container, inputs));
  });

  const base = fingerprintOf(cacheKeyOf(container, inputs, component));
  test.each<[string, () => string]>([
    ['an input parameter value', () => fingerprintOf(cacheKeyOf(container, { ...inputs, parameters: { ...inputs.parameters, n: 4 } }, component))],
    ['an input parameter more', () => fingerprintOf(cacheKeyOf(container, { ...inputs, parameters: { ...inputs.parameters, extra: true } }, component))],
    ['an input artifact', () => fingerprintOf(cacheKeyOf(container, { ...inputs, artifacts: { data: [{ ...dataset, uri: '/artifacts/run-2/root/prep/data' }] } }, component))],
    ['the image', () => fingerprintOf(cacheKeyOf({ ...container, image: 'python:3.12' }, inputs, component))],
    ['the command', () => fingerprintOf(cacheKeyOf({ ...container, command: ['python3', '-u', '-c'] }, inputs, component))],
    ['the args', () => fingerprintOf(cacheKeyOf({ ...container, args: ['print(2)'] }, inputs, component))],
    ['an output parameter type', () => fingerprintOf(cacheKeyOf(container, inputs, { outputDefinitions: { ...component.outputDefinitions, parameters: { score: { parameterType: 'STRING' } } } }))],
    ['an output artifact type', () => fingerprintOf(cacheKeyOf(container, inputs, { outputDefinitions: { ...component.outputDefinitions, artifacts: { model: { artifactType: { schemaTitle: 'system.Dataset', schemaVersion: '0.0.1' } } } } }))],
    ['an output artifact name', () => fingerprintOf(cacheKeyOf(container, inputs, { outputDefinitions: { ...component.outputDefinitions, artifacts: { model2: { artifactType: { schemaTitle: 'system.Model', schemaVersion: '0.0.1' } } } } }))],
  ])('changing %s changes the key', (_what, changed) => {
    expect(changed()).not.toBe(base);
  });

  test('caching is off unless cachingOptions.enableCache is true (kfp writes a disabled cache as {})', () => {
    expect(taskCachePlan(task(), component, container, inputs)).toEqual({});
    expect(taskCachePlan(task({}), component, container, inputs)).toEqual({});
    expect(taskCachePlan(task({ enableCache: false, cacheKey: 'k' }), component, container, inputs)).toEqual({});
    expect(taskCachePlan(task({ enableCache: true }), component, container, inputs)).toEqual({ fingerprint: base });
  });

  test('a custom cacheKey replaces the automatic key: sha256(component name NUL key), as KFP driver.getFingerPrint', () => {
    const plan = taskCachePlan(task({ enableCache: true, cacheKey: 'v1' }), component, container, inputs);
    expect(plan).toEqual({ fingerprint: sha256('comp-train\0v1'), customKey: true });
    // Inputs no longer matter; the key and the component do.
    expect(taskCachePlan(task({ enableCache: true, cacheKey: 'v1' }), component, { image: 'other' }, { parameters: {}, artifacts: {} })).toEqual(plan);
    expect(customFingerprint('comp-train', 'v2')).not.toBe(plan.fingerprint);
    expect(customFingerprint('comp-eval', 'v1')).not.toBe(plan.fingerprint);
  });
});

describe('withCaching (a run\'s switch)', () => {
  test('sets enableCache on the tasks of the root and of every sub-DAG, keeping custom keys', () => {
    const spec = {
      pipelineInfo: { name: 'p' },
      root: { dag: { tasks: { a: task({ enableCache: true, cacheKey: 'k' }), inner: task() } } },
      components: { 'comp-inner': { dag: { tasks: { b: task({}) } } }, 'comp-train': component },
      deploymentSpec: { executors: {} },
    } as unknown as PipelineSpec;
    const off = withCaching(spec, false);
    expect(off.root.dag.tasks.a.cachingOptions).toEqual({ enableCache: false, cacheKey: 'k' });
    expect(off.root.dag.tasks.inner.cachingOptions).toEqual({ enableCache: false });
    expect(off.components['comp-inner'].dag?.tasks.b.cachingOptions).toEqual({ enableCache: false });
    expect(off.components['comp-train']).toBe(component);
    expect(spec.root.dag.tasks.a.cachingOptions).toEqual({ enableCache: true, cacheKey: 'k' });
  });
});
