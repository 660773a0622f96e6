import { readdirSync, readFileSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  rssKiB: number;
  /** Proportional set size: shared pages (PostgreSQL's shared buffers) split among their users. */
  pssKiB: number;
  cmdline: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const pssKiB = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? rssKiB);
    return { pid, ppid, rssKiB, pssKiB, cmdline };
  } catch {
    return undefined;
  }
}

/**
 * Resident memory of `root` and all its descendants, summed, split into the stack itself and
 * the pipeline steps it launched (recognised by the launch supervisor's argv[0], `sluice-step`).
 */
export interface TreeMemory {
  /** Resident set sizes summed (counts shared pages once per process). */
  stackMiB: number;
  /** Proportional set sizes summed: the stack's real footprint. */
  stackPssMiB: number;
  stepsMiB: number;
  processes: number;
  /** The stack's processes by program (first word of the command line), RSS in MiB, largest first. */
  byProgram: Record<string, number>;
  /** The same, PSS in MiB. */
  pssByProgram: Record<string, number>;
}

export function treeMemory(root: number = process.pid): TreeMemory {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p): p is Proc => !!p);
  const children = new Map<number, Proc[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let stack = 0;
  let stackPss = 0;
  let steps = 0;
  let count = 0;
  const byProgram = new Map<string, number>();
  const pssByProgram = new Map<string, number>();
  const add = (p: Proc) => {
    const program = (p.cmdline.split(' ')[0].split('/').pop() || '?').replace(/:$/, '');
    byProgram.set(program, (byProgram.get(program) ?? 0) + p.rssKiB);
    pssByProgram.set(program, (pssByProgram.get(program) ?? 0) + p.pssKiB);
  };
  const walk = (pid: number, inStep: boolean) => {
    for (const child of children.get(pid) ?? []) {
      const step = inStep || child.cmdline.includes('sluice-step');
      if (step) steps += child.rssKiB;
      else {
        stack += child.rssKiB;
        stackPss += child.pssKiB;
        add(child);
      }
      count++;
      walk(child.pid, step);
    }
  };
  const self = readProc(root);
  stack += self?.rssKiB ?? 0;
  stackPss += self?.pssKiB ?? 0;
  if (self) add(self);
  walk(root, false);
  const inMiB = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / 1024)]));
  return { stackMiB: round(stack / 1024), stackPssMiB: round(stackPss / 1024), stepsMiB: round(steps / 1024), processes: count + 1, byProgram: inMiB(byProgram), pssByProgram: inMiB(pssByProgram) };
}

const round = (x: number) => Math.round(x * 10) / 10;
