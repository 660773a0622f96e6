import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTicksOf } from '../../stack/pid-files';
import { useScratchTmp } from '../../stack/scratch-tmp';

describe('useScratchTmp', () => {
  it('points TMPDIR into a directory that remove() deletes whole, and restores TMPDIR', async () => {
    const before = process.env.TMPDIR;
    const scratch = await useScratchTmp('sluice-scratch-test-');
    // jest gives a test file a copy of process.env (os.tmpdir() reads the real one): read it back as set.
    const tmp = process.env.TMPDIR as string;
    expect(tmp.startsWith(`${scratch.root}/`)).toBe(true);
    const inner = mkdtempSync(join(tmp, 'inner-'));
    writeFileSync(join(inner, 'file'), 'x');
    scratch.remove();
    expect(existsSync(scratch.root)).toBe(false);
    expect(process.env.TMPDIR).toBe(before);
  });

  it('removes directories whose owner process is gone, and keeps live and unowned ones', async () => {
    const prefix = 'sluice-scratch-sweep-';
    const dead = spawnSync('true').pid as number;
    const abandoned = mkdtempSync(join(tmpdir(), prefix));
    writeFileSync(join(abandoned, 'owner.json'), JSON.stringify({ pid: dead, startTicks: 1 }));
    mkdirSync(join(abandoned, 'postgres'));
    const live = mkdtempSync(join(tmpdir(), prefix));
    writeFileSync(join(live, 'owner.json'), JSON.stringify({ pid: process.pid, startTicks: await startTicksOf(process.pid) }));
    const unowned = mkdtempSync(join(tmpdir(), prefix));

    const scratch = await useScratchTmp(prefix);
    scratch.remove();

    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(unowned)).toBe(true);
  });
});
