import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What `sluice dev` records of each child it starts (`<dataDir>/run/<name>.pid`), so that the
 * next `sluice dev` on the same data dir can stop the children a killed one left behind: they
 * hold the ports and the data files, and a new Temporal or PostgreSQL would fail to start.
 */
export interface PidRecord {
  pid: number;
  /** Start time in clock ticks (`/proc/PID/stat` field 22): a reused pid has another. */
  startTicks: number;
  /** Text the process's command line contains (its data file or directory): it is this stack's child, not another program. */
  commandLineHas: string;
  /** The signal that stops it cleanly (PostgreSQL: SIGINT, its fast shutdown). */
  stopSignal: NodeJS.Signals;
  /** The `sluice dev` that started it: while that one lives, its children are not orphans. */
  owner: { pid: number; startTicks: number };
}

/** Thrown when another live `sluice dev` uses the data dir: two stacks on one data dir would corrupt it. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

/** `/proc/PID/stat` fields after the parenthesised command name (which may contain spaces). */
async function statFields(pid: number): Promise<string[] | undefined> {
  if (!(pid > 0)) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The process's start ticks while it is alive (not a zombie); undefined when it is gone. */
export async function startTicksOf(pid: number): Promise<number | undefined> {
  const fields = await statFields(pid);
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

async function isSameProcess(p: { pid: number; startTicks: number }): Promise<boolean> {
  return (await startTicksOf(p.pid)) === p.startTicks;
}

export class PidFiles {
  readonly dir: string;

  constructor(private readonly dataDir: string) {
    this.dir = join(dataDir, 'run');
  }

  /** Records a child this process started; `stop()` of the child should call `remove`. */
  async write(name: string, record: Omit<PidRecord, 'startTicks' | 'owner'>): Promise<void> {
    const startTicks = await startTicksOf(record.pid);
    const ownerTicks = await startTicksOf(process.pid);
    // A child gone already (it crashed at once) needs no record; its supervisor reports it.
    if (startTicks === undefined || ownerTicks === undefined) return;
    await mkdir(this.dir, { recursive: true });
    const full: PidRecord = { ...record, startTicks, owner: { pid: process.pid, startTicks: ownerTicks } };
    await writeFile(join(this.dir, `${name}.pid`), JSON.stringify(full));
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, `${name}.pid`), { force: true });
  }

  /**
   * Stops every child recorded here whose `sluice dev` is gone (killed with SIGKILL, say), after
   * checking that the pid still names that very process (same start time, and a command line
   * naming this data dir's file): a pid reused by an unrelated process is left alone. Each is
   * sent its stop signal, then SIGKILL after `graceMs`.
   * @throws DataDirInUseError when the recorded owner is a live process other than this one.
   */
  async stopOrphans(log: (line: string) => void, graceMs = 15_000): Promise<void> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.pid'));
    for (const file of names) {
      const name = file.slice(0, -'.pid'.length);
      const record = await this.read(file);
      if (!record) {
        await this.remove(name);
        continue;
      }
      if (record.owner.pid !== process.pid && (await isSameProcess(record.owner))) {
        throw new DataDirInUseError(
          `another sluice dev (pid ${record.owner.pid}) is running on this data dir (${this.dataDir}); stop it, or give this one another --data-dir`,
        );
      }
      if (await this.isOurs(record)) {
        log(`stopping ${name} (pid ${record.pid}), left running by a sluice dev that ended without stopping it`);
        await stopProcess(record, graceMs);
      }
      await this.remove(name);
    }
  }

  private async read(file: string): Promise<PidRecord | undefined> {
    try {
      const record = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as PidRecord;
      return typeof record.pid === 'number' && typeof record.owner?.pid === 'number' ? record : undefined;
    } catch {
      return undefined;
    }
  }

  private async isOurs(record: PidRecord): Promise<boolean> {
    if (!(await isSameProcess(record))) return false;
    const cmdline = await readFile(`/proc/${record.pid}/cmdline`, 'utf8').catch(() => '');
    return cmdline.split('\0').some((arg) => arg.includes(record.commandLineHas));
  }
}

async function stopProcess(record: PidRecord, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(record.pid, sig);
    } catch {
      // Gone meanwhile: nothing left to stop.
    }
  };
  signal(record.stopSignal);
  const deadline = Date.now() + graceMs;
  while ((await isSameProcess(record)) && Date.now() < deadline) await sleep(100);
  if (!(await isSameProcess(record))) return;
  signal('SIGKILL');
  while (await isSameProcess(record)) await sleep(100);
}
