import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, PidFiles, startTicksOf } from '../../stack/pid-files';

/** Orphans are stopped only when the pid still names the very process recorded, and only when its owner is gone. */
describe('PidFiles', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  /** A process whose command line names `marker`, as a server's names its data file. */
  const serverLike = (marker: string) => {
    const child = spawn('sh', ['-c', 'sleep 300', marker], { stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));

  async function recordFor(dataDir: string, name: string, pid: number, commandLineHas: string, owner: { pid: number; startTicks: number }): Promise<void> {
    mkdirSync(join(dataDir, 'run'), { recursive: true });
    const record = { pid, startTicks: await startTicksOf(pid), commandLineHas, stopSignal: 'SIGTERM', owner };
    writeFileSync(join(dataDir, 'run', `${name}.pid`), JSON.stringify(record));
  }
  /** A dead owner: a sluice dev that was killed. */
  const deadOwner = { pid: 999_999_999, startTicks: 1 };

  test('a recorded server whose sluice dev is gone is stopped; its pid file goes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-pids-'));
    const orphan = serverLike(join(dataDir, 'temporal.db'));
    await recordFor(dataDir, 'temporal', orphan.pid as number, join(dataDir, 'temporal.db'), deadOwner);
    const lines: string[] = [];
    await new PidFiles(dataDir).stopOrphans((l) => lines.push(l), 5_000);
    await exited(orphan);
    expect(orphan.signalCode).toBe('SIGTERM');
    expect(lines).toEqual([`stopping temporal (pid ${orphan.pid}), left running by a sluice dev that ended without stopping it`]);
    expect(existsSync(join(dataDir, 'run', 'temporal.pid'))).toBe(false);
  });

  test('a pid now naming another program (reused, or another start time) is left alone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-pids-'));
    const stranger = serverLike('/somewhere/else');
    await recordFor(dataDir, 'postgres', stranger.pid as number, join(dataDir, 'postgres'), deadOwner);
    const other = serverLike(join(dataDir, 'postgres'));
    const ticks = await startTicksOf(other.pid as number);
    mkdirSync(join(dataDir, 'run'), { recursive: true });
    writeFileSync(join(dataDir, 'run', 'temporal.pid'), JSON.stringify({ pid: other.pid, startTicks: (ticks as number) + 1, commandLineHas: join(dataDir, 'postgres'), stopSignal: 'SIGTERM', owner: deadOwner }));
    await new PidFiles(dataDir).stopOrphans(() => undefined, 5_000);
    expect([stranger.exitCode, stranger.signalCode, other.exitCode, other.signalCode]).toEqual([null, null, null, null]);
  });

  test('a live owner means another sluice dev uses the data dir: refused, nothing stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-pids-'));
    const owner = serverLike('owner');
    const server = serverLike(join(dataDir, 'temporal.db'));
    await recordFor(dataDir, 'temporal', server.pid as number, join(dataDir, 'temporal.db'), { pid: owner.pid as number, startTicks: (await startTicksOf(owner.pid as number)) as number });
    const refused = new PidFiles(dataDir).stopOrphans(() => undefined);
    await expect(refused).rejects.toThrow(DataDirInUseError);
    await expect(refused).rejects.toThrow(`another sluice dev (pid ${owner.pid}) is running on this data dir (${dataDir})`);
    expect([server.exitCode, server.signalCode]).toEqual([null, null]);
  });
});
