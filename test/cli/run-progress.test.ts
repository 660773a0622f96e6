// The live view as pure functions: snapshots in, text out. Times print in local time, so pin it.
process.env.TZ = 'UTC';

import type { Run } from '../../cli/api-types';
import { countStates, finalSummary, renderProgressTable, stateChangeLines } from '../../cli/run-progress';
import { TableRunView } from '../../cli/watch-run';
import { Collector, run, task } from './harness';

const at = (s: string) => new Date(`2025-01-01T${s}Z`);

/** Three polls of a two-task run: prepare runs then succeeds; train starts, fails once, retries. */
const snapshots: Run[] = [
  run('RUNNING', [task('prepare', 'RUNNING', { start_time: '2025-01-01T12:00:01Z' }), task('train', 'PENDING', { attempts: 0 })]),
  run('RUNNING', [
    task('prepare', 'SUCCEEDED', { start_time: '2025-01-01T12:00:01Z', end_time: '2025-01-01T12:00:04Z' }),
    task('train', 'RUNNING', { start_time: '2025-01-01T12:00:05Z' }),
  ]),
  run('RUNNING', [
    task('prepare', 'SUCCEEDED', { start_time: '2025-01-01T12:00:01Z', end_time: '2025-01-01T12:00:04Z' }),
    task('train', 'RUNNING', { start_time: '2025-01-01T12:00:05Z', attempts: 2 }),
  ]),
  run(
    'FAILED',
    [
      task('prepare', 'SUCCEEDED', { start_time: '2025-01-01T12:00:01Z', end_time: '2025-01-01T12:00:04Z' }),
      task('train', 'FAILED', {
        start_time: '2025-01-01T12:00:05Z',
        end_time: '2025-01-01T12:01:10Z',
        attempts: 2,
        error: { code: 2, message: 'exit code 1\nTraceback (most recent call last):', details: [] },
      }),
    ],
    { finished_at: '2025-01-01T12:01:10Z', error: { code: 2, message: 'task train failed: exit code 1', details: [] } },
  ),
];

describe('stateChangeLines (no TTY: one line per change)', () => {
  test('a sequence of snapshots gives one line per task state change, with attempts and errors', () => {
    const times = ['12:00:02', '12:00:06', '12:00:30', '12:01:11'];
    const lines = snapshots.flatMap((snap, i) => stateChangeLines(snapshots[i - 1], snap, at(times[i])));
    expect(lines).toEqual([
      '12:00:02 [run] RUNNING',
      '12:00:02 prepare RUNNING',
      '12:00:02 train PENDING',
      '12:00:06 prepare SUCCEEDED',
      '12:00:06 train RUNNING',
      '12:00:30 train RUNNING (attempt 2)',
      '12:01:11 [run] FAILED',
      '12:01:11 train FAILED (attempt 2): exit code 1',
    ]);
  });

  test('an unchanged snapshot prints nothing', () => {
    expect(stateChangeLines(snapshots[1], snapshots[1], at('12:00:07'))).toEqual([]);
  });

  test('tasks that appear later are reported when they appear', () => {
    const before = run('RUNNING', [task('a', 'RUNNING', { start_time: '2025-01-01T12:00:01Z' })]);
    const after = run('RUNNING', [task('a', 'RUNNING', { start_time: '2025-01-01T12:00:01Z' }), task('b', 'PENDING')]);
    expect(stateChangeLines(before, after, at('12:00:03'))).toEqual(['12:00:03 b PENDING']);
  });
});

describe('renderProgressTable (TTY: the redrawn table)', () => {
  test('header with run state, elapsed time and counts, then one row per task in start order', () => {
    const lines = renderProgressTable(snapshots[2], { now: at('12:00:30'), color: false });
    expect(lines.join('\n')).toBe(
      [
        'add-numbers 1  ● RUNNING  30s  1 running, 1 succeeded',
        'TASK     STATE        ATTEMPTS  DURATION',
        'prepare  ✔ SUCCEEDED  1         3.0s',
        'train    ● RUNNING    2         25s',
      ].join('\n'),
    );
  });

  test('the final frame uses the run and task end times, not the clock', () => {
    const lines = renderProgressTable(snapshots[3], { now: at('13:00:00'), color: false });
    expect(lines[0]).toBe('add-numbers 1  ✖ FAILED  1m10s  1 succeeded, 1 failed');
    expect(lines[3]).toBe('train    ✖ FAILED     2         1m05s');
  });

  test('with colour, states carry ANSI codes but columns stay aligned on the visible text', () => {
    const lines = renderProgressTable(snapshots[2], { now: at('12:00:30'), color: true });
    expect(lines[2]).toContain('\x1b[32m✔ SUCCEEDED\x1b[0m');
    const visible = (s: string) => s.replaceAll('\x1b[32m', '').replaceAll('\x1b[36m', '').replaceAll('\x1b[0m', '');
    expect(visible(lines[2]).indexOf('1 ')).toBe(visible(lines[3]).indexOf('2 '));
  });

  test('rows beyond maxRows are summed up in one line', () => {
    const many = run('RUNNING', [
      task('a', 'SUCCEEDED', { start_time: '2025-01-01T12:00:01Z', end_time: '2025-01-01T12:00:02Z' }),
      task('b', 'RUNNING', { start_time: '2025-01-01T12:00:02Z' }),
      task('c', 'PENDING'),
      task('d', 'PENDING'),
    ]);
    const lines = renderProgressTable(many, { now: at('12:00:05'), color: false, maxRows: 3 });
    expect(lines.slice(1)).toEqual([
      'TASK  STATE        ATTEMPTS  DURATION',
      'a     ✔ SUCCEEDED  1         1.0s',
      'b     ● RUNNING    1         3.0s',
      '… and 2 more: 2 pending',
    ]);
  });

  test('no line is wider than the terminal', () => {
    const long = run('RUNNING', [task('a-task-with-a-very-long-name-indeed', 'RUNNING', { start_time: '2025-01-01T12:00:01Z' })], {
      display_name: 'a run whose name is far too long for a narrow terminal',
    });
    const lines = renderProgressTable(long, { now: at('12:00:05'), color: false, columns: 40 });
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
    expect(lines[2].startsWith('a-task-w…  ● RUNNING')).toBe(true);
  });
});

describe('summaries', () => {
  test('tasks show as a tree, and a loop with many iterations as one summary row', () => {
    const iterations = Array.from({ length: 12 }, (_, i) =>
      task(`for-loop-2[${i}]`, i < 10 ? 'SUCCEEDED' : 'RUNNING', { task_id: `it-${i}`, kind: 'ITERATION', iteration_index: i, parent_task_id: 't-for-loop-2' }),
    );
    const tree = run('RUNNING', [
      task('prepare', 'SUCCEEDED', { start_time: '2025-01-01T12:00:01Z', end_time: '2025-01-01T12:00:02Z' }),
      task('for-loop-2', 'RUNNING', { kind: 'LOOP', start_time: '2025-01-01T12:00:03Z', child_task_count: 100 }),
      ...iterations,
      task('branch', 'RUNNING', { kind: 'DAG', start_time: '2025-01-01T12:00:04Z' }),
      task('train', 'RUNNING', { parent_task_id: 't-branch', start_time: '2025-01-01T12:00:04Z' }),
      task('gate', 'SKIPPED', { state_reason: 'NOT_TRIGGERED' }),
    ]);
    // The header counts the whole run, as the server sums it up, not only the tasks loaded.
    tree.run_details = { task_details: tree.run_details?.task_details ?? [], task_count: 117, task_state_counts: { SUCCEEDED: 90, RUNNING: 26, SKIPPED: 1 } };
    const lines = renderProgressTable(tree, { now: at('12:00:05'), color: false });
    expect(lines[0]).toContain('26 running, 90 succeeded, 1 skipped');
    expect(lines.slice(1).map((l) => l.replace(/\s+$/, ''))).toEqual([
      'TASK                                                        STATE        ATTEMPTS  DURATION',
      'prepare                                                     ✔ SUCCEEDED  1         1.0s',
      'for-loop-2                                                  ● RUNNING    1         2.0s',
      '  … 100 iterations: 2 running, 10 succeeded, 88 not loaded  ● RUNNING    -         -',
      'branch                                                      ● RUNNING    1         1.0s',
      '  train                                                     ● RUNNING    1         1.0s',
      'gate                                                        ↷ SKIPPED    1         -',
    ]);
  });

  test("a loop the server summarised shows its iterations' counts by state, not only the loaded ones", () => {
    const iterations = Array.from({ length: 3 }, (_, i) =>
      task(`for-loop-2[${i}]`, 'SUCCEEDED', { task_id: `it-${i}`, kind: 'ITERATION', iteration_index: i, parent_task_id: 't-for-loop-2' }),
    );
    const tree = run('RUNNING', [
      task('for-loop-2', 'RUNNING', { kind: 'LOOP', start_time: '2025-01-01T12:00:03Z', child_task_count: 10_000, child_task_state_counts: { SUCCEEDED: 9000, FAILED: 1, RUNNING: 999 } }),
      ...iterations,
    ]);
    const lines = renderProgressTable(tree, { now: at('12:00:05'), color: false });
    expect(lines[3].replace(/\s+$/, '')).toMatch(/^ {2}… 10000 iterations: 999 running, 9000 succeeded, 1 failed +✖ FAILED/);
  });

  test('countStates lists states in lifecycle order', () => {
    expect(countStates([task('a', 'FAILED'), task('b', 'PENDING'), task('c', 'PENDING')])).toBe('2 pending, 1 failed');
    expect(countStates([])).toBe('no tasks yet');
  });

  test('finalSummary says how the run ended and how long it took', () => {
    expect(finalSummary(snapshots[3], at('13:00:00'))).toBe('Run run-1 FAILED after 1m10s');
    expect(finalSummary(run('SUCCEEDED', [], { finished_at: '2025-01-01T12:00:42Z' }), at('13:00:00'))).toBe('Run run-1 SUCCEEDED in 42s');
  });
});

describe('TableRunView (the terminal side of the table)', () => {
  test('each frame erases the previous one; log lines go above the frame; close shows the cursor', () => {
    const out = new Collector(true, 80, 24);
    const view = new TableRunView(out, false);
    view.update(snapshots[0], at('12:00:02'));
    const first = out.text;
    expect(first.startsWith('\x1b[?25l')).toBe(true);
    expect(first.split('\n')).toHaveLength(5); // header, titles, two tasks, and the final newline

    out.text = '';
    view.update(snapshots[1], at('12:00:06'));
    expect(out.text.startsWith('\x1b[4F\x1b[J')).toBe(true);

    out.text = '';
    view.log('worker: started');
    expect(out.text.startsWith('\x1b[4F\x1b[Jworker: started\n\x1b[?25l')).toBe(true);

    out.text = '';
    view.close();
    expect(out.text).toBe('\x1b[?25h');
  });

  test('rows are capped to the terminal height', () => {
    const out = new Collector(true, 80, 6);
    const tasks = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => task(n, 'PENDING'));
    new TableRunView(out, false).update(run('RUNNING', tasks), at('12:00:02'));
    expect(out.text.trimEnd().split('\n')).toHaveLength(4);
  });
});
