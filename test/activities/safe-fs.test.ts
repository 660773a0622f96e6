import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileInside, UnsafeOutputError } from '../../activities/runners/safe-fs';

describe('readFileInside', () => {
  const base = mkdtempSync(join(tmpdir(), 'sluice-safe-fs-'));
  const dir = join(base, 'launch');
  const outside = join(base, 'outside');
  mkdirSync(join(dir, 'outputs'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(dir, 'outputs', 'out'), 'mine');
  writeFileSync(join(outside, 'out'), 'secret');

  test('reads a plain file inside the directory, and answers undefined for a missing one', async () => {
    expect((await readFileInside(dir, join(dir, 'outputs', 'out')))?.toString()).toBe('mine');
    expect(await readFileInside(dir, join(dir, 'outputs', 'none'))).toBeUndefined();
  });

  test('reads inside a directory reached through a symlink (a data dir under a linked /tmp)', async () => {
    const linked = join(base, 'linked');
    symlinkSync(dir, linked);
    expect((await readFileInside(linked, join(linked, 'outputs', 'out')))?.toString()).toBe('mine');
  });

  test('refuses a file reached through a directory a step replaced with a symlink out of it, and a symlinked file', async () => {
    const escape = join(dir, 'escape');
    symlinkSync(outside, escape);
    await expect(readFileInside(dir, join(escape, 'out'))).rejects.toThrow(UnsafeOutputError);
    await expect(readFileInside(dir, join(escape, 'out'))).rejects.toThrow(/outside/);
    symlinkSync(join(outside, 'out'), join(dir, 'link'));
    await expect(readFileInside(dir, join(dir, 'link'))).rejects.toThrow(/symbolic link/);
  });

  test("a sibling whose name starts with the directory's is not inside it", async () => {
    mkdirSync(`${dir}-2`);
    writeFileSync(`${dir}-2/out`, 'other');
    const fake = join(dir, 'sibling');
    symlinkSync(`${dir}-2`, fake);
    await expect(readFileInside(dir, join(fake, 'out'))).rejects.toThrow(/outside/);
  });
});
