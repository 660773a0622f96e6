import { FANOUT, placeLoop } from '../../ir/fanout';

describe('placeLoop (ir/fanout.ts)', () => {
  test('a loop of at most FANOUT.inlineTasks tasks runs inline, whatever its children would hold', () => {
    expect(placeLoop(100, 2, 16)).toEqual({ mode: 'inline' });
    expect(placeLoop(FANOUT.inlineTasks, 1, 16, FANOUT.tasksPerChildInSeries)).toEqual({ mode: 'inline' });
  });

  test('a larger loop runs blocks of FANOUT.tasksPerChild tasks\' worth of iterations, covering every iteration once', () => {
    const placement = placeLoop(101, 2, 8);
    expect(placement).toEqual({ mode: 'children', blocks: [{ start: 0, end: 50 }, { start: 50, end: 100 }, { start: 100, end: 101 }], running: 1, slotsPerChild: 8 });
  });

  test('children of FANOUT.tasksPerChildInSeries tasks: a 1,000-task loop in two, each with half the concurrency', () => {
    expect(placeLoop(1000, 1, 200, FANOUT.tasksPerChildInSeries)).toEqual({ mode: 'children', blocks: [{ start: 0, end: 500 }, { start: 500, end: 1000 }], running: 2, slotsPerChild: 100 });
    // Iterations of several tasks: the block is that many tasks' worth.
    const placement = placeLoop(1001, 2, 16, FANOUT.tasksPerChildInSeries);
    expect(placement.mode === 'children' && placement.blocks.map((b) => b.end - b.start)).toEqual([250, 250, 250, 250, 1]);
  });
});
