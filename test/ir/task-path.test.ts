import { childPath, displayNameOf, iterationIndexOf, iterationPath, launchNameFor, layoutSegments, parentPath, ROOT_PATH } from '../../ir/task-path';

describe('task paths', () => {
  const loop = childPath(ROOT_PATH, 'for-loop-2');
  const iteration = iterationPath(loop, 17);
  const train = childPath(iteration, 'train');

  test('compose and decompose', () => {
    expect(train).toBe('root/for-loop-2[17]/train');
    expect(parentPath(train)).toBe(iteration);
    expect(parentPath(iteration)).toBe(loop);
    expect(parentPath(loop)).toBe(ROOT_PATH);
    expect(parentPath(ROOT_PATH)).toBeUndefined();
    expect(displayNameOf(train)).toBe('train');
    expect(displayNameOf(iteration)).toBe('for-loop-2[17]');
    expect(iterationIndexOf(iteration)).toBe(17);
    expect(iterationIndexOf(train)).toBeUndefined();
    expect(layoutSegments(train)).toEqual(['root', 'for-loop-2', '17', 'train']);
  });

  test.each([
    ['a plain name stays readable', 'run1', 'root/train', 1],
    ['upper case and underscores', '0f3c2d9e-aaaa-4bbb-8ccc-123456789abc', 'root/Train_Model', 2],
    ['a deep loop path', '0f3c2d9e-aaaa-4bbb-8ccc-123456789abc', `root/${'for-loop-2[9999]/'.repeat(6)}train-a-model-with-a-long-name`, 3],
  ])('launch names are DNS-1123 labels: %s', (_what, runId, path, launch) => {
    const name = launchNameFor(runId, path, launch);
    expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(launchNameFor(runId, path, launch)).toBe(name);
  });

  test('launch names never collide on case, underscores or a cut', () => {
    const run = '0f3c2d9e-aaaa-4bbb-8ccc-123456789abc';
    const names = ['root/train', 'root/Train', 'root/tr_ain', 'root/tr-ain', `root/${'x'.repeat(80)}a`, `root/${'x'.repeat(80)}b`].map((p) => launchNameFor(run, p, 1));
    expect(new Set(names).size).toBe(names.length);
    expect(launchNameFor(run, 'root/train', 1)).not.toBe(launchNameFor(run, 'root/train', 2));
  });
});
