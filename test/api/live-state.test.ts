import { mergeLiveState } from '../../api/services/live-state';
import type { RunState, TaskState } from '../../ir/states';
import type { PipelineSpec } from '../../ir/types';
import { taskIdFor } from '../../store/ids';
import type { RunRecord, TaskRecord } from '../../store/types';
import type { RunSnapshot, TaskSnapshot } from '../../workflows/types';

const created = new Date('2025-01-01T00:00:00Z');

function run(state: RunState): RunRecord {
  return {
    runId: 'r1',
    displayName: 'r',
    description: '',
    experimentId: 'e',
    spec: {} as PipelineSpec,
    parameters: {},
    state,
    storageState: 'AVAILABLE',
    createdAt: created,
    scheduledAt: created,
    stateHistory: [],
  };
}

function stored(taskName: string, state: TaskState, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    runId: 'r1',
    taskName,
    taskId: taskIdFor('r1', taskName),
    componentName: 'comp',
    state,
    inputs: { parameters: { a: 1 }, artifacts: {} },
    outputs: { parameters: {}, artifacts: {} },
    attempts: 1,
    createdAt: created,
    ...extra,
  };
}

function live(state: RunState, tasks: TaskSnapshot[]): RunSnapshot {
  return { runId: 'r1', state, tasks };
}

const snap = (name: string, state: TaskState, extra: Partial<TaskSnapshot> = {}): TaskSnapshot => ({ name, componentName: 'comp', state, attempts: 0, ...extra });

describe('mergeLiveState', () => {
  test('a task the workflow runs shows RUNNING before the store has a row for it', () => {
    const merged = mergeLiveState(run('PENDING'), [], live('RUNNING', [snap('train', 'RUNNING', { attempts: 1, startedAt: '2025-01-01T00:01:00Z' })]));
    expect(merged.run.state).toBe('RUNNING');
    expect(merged.tasks).toEqual([
      {
        runId: 'r1',
        taskName: 'train',
        taskId: taskIdFor('r1', 'train'),
        componentName: 'comp',
        state: 'RUNNING',
        inputs: { parameters: {}, artifacts: {} },
        outputs: { parameters: {}, artifacts: {} },
        attempts: 1,
        createdAt: new Date('2025-01-01T00:01:00Z'),
        startedAt: new Date('2025-01-01T00:01:00Z'),
        finishedAt: undefined,
        error: undefined,
      },
    ]);
  });

  test('the live state updates a stored task that is not final, keeping what the store knows', () => {
    const startedAt = new Date('2025-01-01T00:02:00Z');
    const merged = mergeLiveState(
      run('RUNNING'),
      [stored('train', 'PENDING', { startedAt })],
      live('RUNNING', [snap('train', 'FAILED', { attempts: 2, finishedAt: '2025-01-01T00:03:00Z', error: { message: 'boom', type: 'StepFailed' } })]),
    );
    expect(merged.tasks[0]).toMatchObject({
      state: 'FAILED',
      attempts: 2,
      startedAt,
      finishedAt: new Date('2025-01-01T00:03:00Z'),
      error: { message: 'boom', type: 'StepFailed' },
      inputs: { parameters: { a: 1 }, artifacts: {} },
    });
  });

  test('a final state in the store is never replaced', () => {
    const done = stored('train', 'SUCCEEDED');
    const merged = mergeLiveState(run('RUNNING'), [done], live('RUNNING', [snap('train', 'RUNNING')]));
    expect(merged.tasks).toEqual([done]);
  });

  test('tasks only the store knows are kept', () => {
    const merged = mergeLiveState(run('RUNNING'), [stored('old', 'SUCCEEDED')], live('RUNNING', [snap('new', 'PENDING')]));
    expect(merged.tasks.map((t) => t.taskName)).toEqual(['new', 'old']);
  });

  test.each<[RunState, RunState, RunState]>([
    ['PENDING', 'RUNNING', 'RUNNING'],
    ['RUNNING', 'SUCCEEDED', 'SUCCEEDED'],
    ['CANCELING', 'RUNNING', 'CANCELING'],
    ['CANCELING', 'CANCELED', 'CANCELED'],
    ['FAILED', 'RUNNING', 'FAILED'],
  ])('run state: stored %s, live %s → %s', (storedState, liveState, expected) => {
    expect(mergeLiveState(run(storedState), [], live(liveState, [])).run.state).toBe(expected);
  });
});
