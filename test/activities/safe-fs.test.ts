import { chmodSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileInside, sealTree, UnsafeOutputError } from '../../activities/runners/safe-fs';

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

  test('reads a file larger than the synchronous read limit in full', async () => {
    const big = Buffer.alloc(3 << 19, 'ab'); // 1.5 MiB
    writeFileSync(join(dir, 'outputs', 'big'), big);
    expect((await readFileInside(dir, join(dir, 'outputs', 'big')))?.equals(big)).toBe(true);
  });

  test("a sibling whose name starts with the directory's is not inside it", async () => {
    mkdirSync(`${dir}-2`);
    writeFileSync(`${dir}-2/out`, 'other');
    const fake = join(dir, 'sibling');
    symlinkSync(`${dir}-2`, fake);
    await expect(readFileInside(dir, join(fake, 'out'))).rejects.toThrow(/outside/);
  });
});

describe('sealTree', () => {
  const asRoot = process.getuid?.() === 0;
  const owner = process.getuid?.() ?? 0;
  const group = process.getgid?.() ?? 0;

  test('gives a tree of many entries to its new owner, top-down, without following a symlink out of it', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sluice-seal-'));
    const outside = join(base, 'outside');
    writeFileSync(outside, 'not the step\'s');
    chmodSync(outside, 0o600);
    const tree = join(base, 'outputs');
    // More entries than the walk handles between two yields to the event loop, two levels deep.
    for (let d = 0; d < 6; d++) {
      mkdirSync(join(tree, `d${d}`), { recursive: true, mode: 0o777 });
      for (let f = 0; f < 60; f++) writeFileSync(join(tree, `d${d}`, `f${f}`), 'x', { mode: f === 0 ? 0o777 : 0o666 });
    }
    symlinkSync(outside, join(tree, 'd0', 'link'));
    const all = (dir: string): string[] => [dir, ...readdirSync(dir).flatMap((e) => (lstatSync(join(dir, e)).isDirectory() ? all(join(dir, e)) : [join(dir, e)]))];
    // As root, the step's uid owns the tree first, as after a launch.
    if (asRoot) for (const path of all(tree)) lchownSync(path, 4242, 4242);

    await sealTree(tree, owner, group);

    const entries = all(tree);
    expect(entries).toHaveLength(1 + 6 + 6 * 60 + 1);
    for (const path of entries) {
      const info = lstatSync(path);
      expect([path, info.uid, info.gid]).toEqual([path, owner, group]);
      if (info.isSymbolicLink()) continue;
      const executable = info.isDirectory() || path.endsWith('/f0');
      expect([path, info.mode & 0o7777]).toEqual([path, executable ? 0o755 : 0o644]);
    }
    // The symlink was re-owned, not followed: what it points at keeps its mode.
    expect(lstatSync(outside).mode & 0o7777).toBe(0o600);
  });

  test('is done at once for a path that does not exist', async () => {
    await expect(sealTree(join(tmpdir(), 'sluice-seal-missing', 'nothing'))).resolves.toBeUndefined();
  });
});
