import { readdirSync, readFileSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  rssKiB: number;
  cmdline: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { pid, ppid, rssKiB, cmdline };
  } catch {
    return undefined;
  }
}

/**
 * Resident memory of `root` and all its descendants, summed, split into the stack itself and
 * the pipeline steps it launched (recognised by the launch supervisor's argv[0], `sluice-step`).
 */
export function treeMemory(root: number = process.pid): { stackMiB: number; stepsMiB: number; processes: number } {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p): p is Proc => !!p);
  const children = new Map<number, Proc[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let stack = 0;
  let steps = 0;
  let count = 0;
  const walk = (pid: number, inStep: boolean) => {
    for (const child of children.get(pid) ?? []) {
      const step = inStep || child.cmdline.includes('sluice-step');
      if (step) steps += child.rssKiB;
      else stack += child.rssKiB;
      count++;
      walk(child.pid, step);
    }
  };
  stack += readProc(root)?.rssKiB ?? 0;
  walk(root, false);
  return { stackMiB: round(stack / 1024), stepsMiB: round(steps / 1024), processes: count + 1 };
}

const round = (x: number) => Math.round(x * 10) / 10;
