/** Where a task's launches and logs go, and that a task started under the old layout keeps it. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { taskLayout } from '../../activities/layout';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-layout-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test("a task's launch directories and logs sit in its own directory, its outputs under outputs/", () => {
  const layout = taskLayout(root, 'run-1', 'root/for-loop-2[17]/train');
  expect(layout.taskDir).toBe(join(root, 'run-1', 'root', 'for-loop-2', '17', 'train'));
  expect(layout.launchDir(2)).toBe(join(layout.taskDir, 'launch-2'));
  expect(layout.logFile(2)).toBe(join(layout.taskDir, 'launch-2.log'));
  expect(layout.outputUri('model')).toBe(join(layout.taskDir, 'outputs', 'model'));
});

test('a task whose launches were started under the old layout (launches/N, logs/) keeps it, so an upgraded worker finds them', () => {
  const taskDir = join(root, 'run-1', 'root', 'train');
  mkdirSync(join(taskDir, 'launches', '1'), { recursive: true });
  const layout = taskLayout(root, 'run-1', 'root/train');
  expect(layout.launchDir(1)).toBe(join(taskDir, 'launches', '1'));
  expect(layout.launchDir(2)).toBe(join(taskDir, 'launches', '2'));
  expect(layout.logFile(1)).toBe(join(taskDir, 'logs', 'launch-1.log'));
  // Other tasks of the same run are not affected.
  expect(taskLayout(root, 'run-1', 'root/eval').launchDir(1)).toBe(join(root, 'run-1', 'root', 'eval', 'launch-1'));
});
