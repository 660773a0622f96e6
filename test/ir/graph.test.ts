import { SpecValidationError } from '../../ir/errors';
import { buildTaskGraph, sortTopologically, taskUpstream } from '../../ir/graph';
import { baseSpec, deletePath, setPath } from './load-fixtures';

describe('buildTaskGraph', () => {
  test('orders the base pipeline and lists each upstream task once', () => {
    expect(buildTaskGraph(baseSpec())).toEqual([
      { name: 'prepare', componentName: 'comp-prepare', executorLabel: 'exec-prepare', upstream: [] },
      { name: 'train', componentName: 'comp-train', executorLabel: 'exec-train', upstream: ['prepare'] },
      { name: 'evaluate', componentName: 'comp-evaluate', executorLabel: 'exec-evaluate', upstream: ['train'] },
    ]);
  });

  test('is topological whatever the key order', () => {
    const spec = baseSpec();
    const { prepare, train, evaluate } = spec.root.dag.tasks;
    spec.root.dag.tasks = { evaluate, train, prepare };
    expect(buildTaskGraph(spec).map((node) => node.name)).toEqual(['prepare', 'train', 'evaluate']);
  });

  test('counts producers that dependentTasks does not list', () => {
    const spec = baseSpec();
    deletePath(spec, 'root.dag.tasks.evaluate.dependentTasks');
    setPath(spec, 'root.dag.tasks.evaluate.dependentTasks', ['prepare']);
    expect(buildTaskGraph(spec).find((node) => node.name === 'evaluate')?.upstream).toEqual(['prepare', 'train']);
  });

  test('refuses a cycle', () => {
    const spec = baseSpec();
    setPath(spec, 'root.dag.tasks.prepare.dependentTasks', ['evaluate']);
    expect(() => buildTaskGraph(spec)).toThrow(SpecValidationError);
    expect(() => buildTaskGraph(spec)).toThrow('root.dag.tasks: dependency cycle: prepare -> evaluate -> train -> prepare');
  });
});

describe('taskUpstream', () => {
  test('dependentTasks first, then parameter and artifact producers, without duplicates', () => {
    expect(
      taskUpstream({
        taskInfo: { name: 't' },
        componentRef: { name: 'c' },
        dependentTasks: ['a'],
        inputs: {
          parameters: { p: { taskOutputParameter: { producerTask: 'b', outputParameterKey: 'o' } }, q: { componentInputParameter: 'x' } },
          artifacts: { r: { taskOutputArtifact: { producerTask: 'a', outputArtifactKey: 'o' } }, s: { taskOutputArtifact: { producerTask: 'c', outputArtifactKey: 'o' } } },
        },
      }),
    ).toEqual(['a', 'b', 'c']);
  });
});

describe('sortTopologically', () => {
  const graphs: Array<[string, Record<string, string[]>, string[], string[] | undefined]> = [
    ['independent tasks keep their order', { c: [], a: [], b: [] }, ['c', 'a', 'b'], undefined],
    ['a ready task listed first goes first', { c: ['b'], a: [], b: [] }, ['a', 'b', 'c'], undefined],
    ['a diamond', { d: ['b', 'c'], c: ['a'], b: ['a'], a: [] }, ['a', 'c', 'b', 'd'], undefined],
    ['edges to unknown names are ignored', { a: ['ghost'], b: ['a'] }, ['a', 'b'], undefined],
    ['duplicate edges count once', { a: [], b: ['a', 'a'] }, ['a', 'b'], undefined],
    ['a two-task cycle beside a free task', { free: [], x: ['y'], y: ['x'] }, ['free'], ['x', 'y', 'x']],
    ['a cycle reached through a tail', { t: ['x'], x: ['y'], y: ['z'], z: ['x'] }, [], ['x', 'y', 'z', 'x']],
  ];
  test.each(graphs)('%s', (_name, edges, order, cycle) => {
    expect(sortTopologically(Object.keys(edges), (name) => edges[name] ?? [])).toEqual(cycle ? { order, cycle } : { order });
  });

  test('handles a wide graph in spec order', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `t${String(i).padStart(4, '0')}`);
    const upstream = (name: string) => (name === names[0] ? [] : [names[0]]);
    expect(sortTopologically([...names].reverse(), upstream).order).toEqual([names[0], ...names.slice(1).reverse()]);
  });
});
