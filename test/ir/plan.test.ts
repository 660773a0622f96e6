import type { TaskNode } from '../../ir/graph';
import { planNext, runOutcome, type Plan } from '../../ir/plan';
import type { TaskState } from '../../ir/states';

function graph(edges: Record<string, string[]>): TaskNode[] {
  return Object.entries(edges).map(([name, upstream]) => ({ name, componentName: `comp-${name}`, executorLabel: `exec-${name}`, upstream }));
}

type States = Record<string, TaskState | undefined>;
type Step = [description: string, states: States, parallelism: number, plan: Plan];

const diamond = graph({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] });
const fanOut = graph({ root: [], x1: ['root'], x2: ['root'], x3: ['root'], x4: ['root'] });
const chains = graph({ a: [], b: ['a'], c: ['b'], d: [], e: ['d', 'c'] });

describe('planNext', () => {
  const tables: Array<[string, TaskNode[], Step[]]> = [
    [
      'diamond',
      diamond,
      [
        ['nothing started: the root starts', {}, 10, { start: ['a'], skip: [] }],
        ['root running: nothing new', { a: 'RUNNING' }, 10, { start: [], skip: [] }],
        ['root done: both branches start', { a: 'SUCCEEDED' }, 10, { start: ['b', 'c'], skip: [] }],
        ['one branch done: the join waits', { a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'RUNNING' }, 10, { start: [], skip: [] }],
        ['both branches done: the join starts', { a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'SUCCEEDED' }, 10, { start: ['d'], skip: [] }],
        ['all done: nothing left', { a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'SUCCEEDED', d: 'SUCCEEDED' }, 10, { start: [], skip: [] }],
        ['one branch failed: the join is skipped while the other runs', { a: 'SUCCEEDED', b: 'FAILED', c: 'RUNNING' }, 10, { start: [], skip: ['d'] }],
        ['root failed: everything below is skipped at once', { a: 'FAILED' }, 10, { start: [], skip: ['b', 'c', 'd'] }],
      ],
    ],
    [
      'fan-out with a parallelism limit',
      fanOut,
      [
        ['root done: two of four start', { root: 'SUCCEEDED' }, 2, { start: ['x1', 'x2'], skip: [] }],
        ['one running: one more starts', { root: 'SUCCEEDED', x1: 'RUNNING' }, 2, { start: ['x2'], skip: [] }],
        ['a pending task holds a slot', { root: 'SUCCEEDED', x1: 'RUNNING', x2: 'PENDING' }, 2, { start: [], skip: [] }],
        ['a canceling task holds a slot', { root: 'SUCCEEDED', x1: 'CANCELING', x2: 'RUNNING' }, 2, { start: [], skip: [] }],
        ['a finished task frees its slot', { root: 'SUCCEEDED', x1: 'SUCCEEDED', x2: 'RUNNING' }, 2, { start: ['x3'], skip: [] }],
        ['over the limit already: nothing starts', { root: 'SUCCEEDED', x1: 'RUNNING', x2: 'RUNNING', x3: 'RUNNING' }, 2, { start: [], skip: [] }],
        ['no limit', { root: 'SUCCEEDED' }, Infinity, { start: ['x1', 'x2', 'x3', 'x4'], skip: [] }],
        ['parallelism 1 runs one at a time', { root: 'SUCCEEDED' }, 1, { start: ['x1'], skip: [] }],
      ],
    ],
    [
      'failure cascade',
      chains,
      [
        ['independent roots start together', {}, 10, { start: ['a', 'd'], skip: [] }],
        ['a failure skips its chain and the join, not the other root', { a: 'FAILED' }, 10, { start: ['d'], skip: ['b', 'c', 'e'] }],
        ['a canceled task blocks its downstream', { a: 'SUCCEEDED', b: 'CANCELED', d: 'SUCCEEDED' }, 10, { start: [], skip: ['c', 'e'] }],
        ['a skipped task blocks its downstream', { a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'SKIPPED', d: 'SUCCEEDED' }, 10, { start: [], skip: ['e'] }],
        ['skips are not limited by parallelism', { a: 'FAILED', d: 'RUNNING' }, 1, { start: [], skip: ['b', 'c', 'e'] }],
        ['tasks already decided are left alone', { a: 'FAILED', b: 'SKIPPED', c: 'SKIPPED', d: 'SUCCEEDED', e: 'SKIPPED' }, 10, { start: [], skip: [] }],
        ['a paused upstream task holds its downstream', { a: 'PAUSED', d: 'SUCCEEDED' }, 10, { start: [], skip: [] }],
      ],
    ],
  ];

  describe.each(tables)('%s', (_name, nodes, steps) => {
    test.each(steps)('%s', (_description, states, parallelism, plan) => {
      expect(planNext(nodes, states, parallelism)).toEqual(plan);
    });
  });

  test.each([0, -1, 1.5, NaN])('rejects parallelism %p', (parallelism) => {
    expect(() => planNext(diamond, {}, parallelism)).toThrow(RangeError);
  });
});

describe('runOutcome', () => {
  const cases: Array<[string, States, ReturnType<typeof runOutcome>]> = [
    ['nothing started', {}, 'RUNNING'],
    ['some tasks not started', { a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'SUCCEEDED' }, 'RUNNING'],
    ['a task still running after a failure', { a: 'SUCCEEDED', b: 'FAILED', c: 'RUNNING', d: 'SKIPPED' }, 'RUNNING'],
    ['all succeeded', { a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'SUCCEEDED', d: 'SUCCEEDED' }, 'SUCCEEDED'],
    ['a failure with skips', { a: 'SUCCEEDED', b: 'FAILED', c: 'SUCCEEDED', d: 'SKIPPED' }, 'FAILED'],
    ['a cancellation', { a: 'SUCCEEDED', b: 'CANCELED', c: 'SUCCEEDED', d: 'SKIPPED' }, 'CANCELED'],
    ['a failure beats a cancellation', { a: 'SUCCEEDED', b: 'CANCELED', c: 'FAILED', d: 'SKIPPED' }, 'FAILED'],
    ['a canceling task is not final', { a: 'SUCCEEDED', b: 'CANCELING', c: 'SUCCEEDED', d: 'SKIPPED' }, 'RUNNING'],
  ];
  test.each(cases)('%s', (_name, states, outcome) => {
    expect(runOutcome(diamond, states)).toBe(outcome);
  });

  test('an empty graph has succeeded', () => {
    expect(runOutcome([], {})).toBe('SUCCEEDED');
  });
});
