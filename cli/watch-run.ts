import { isFinal } from '../ir/states';
import type { ApiClient } from './api-client';
import { stateOf, type Run } from './api-types';
import type { Terminal } from './context';
import { renderProgressTable, stateChangeLines } from './run-progress';

/** Where a watched run is shown. `log` prints other output (server logs, say) without breaking the view. */
export interface RunView {
  update(run: Run, now: Date): void;
  log(line: string): void;
  /** Leaves the terminal as it found it (cursor visible); the last frame stays on screen. */
  close(): void;
}

/** Lines a terminal keeps free below the table: the header, the column titles, one spare. */
const FRAME_OVERHEAD = 4;

/**
 * A task table redrawn in place. Each frame moves the cursor back up over the previous one and
 * erases it, so frames must never wrap or outgrow the screen: the table is cut to the terminal's
 * width and its rows to the terminal's height.
 */
export class TableRunView implements RunView {
  private frame: string[] = [];
  private drawn = 0;

  constructor(
    private readonly out: Terminal,
    private readonly color: boolean,
  ) {}

  update(run: Run, now: Date): void {
    this.frame = renderProgressTable(run, {
      now,
      color: this.color,
      columns: this.out.columns,
      maxRows: this.out.rows === undefined ? undefined : Math.max(1, this.out.rows - FRAME_OVERHEAD),
    });
    this.redraw();
  }

  log(line: string): void {
    this.erase();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  close(): void {
    if (this.drawn) this.out.write('\x1b[?25h');
  }

  private redraw(): void {
    this.erase();
    if (!this.frame.length) return;
    this.out.write(`\x1b[?25l${this.frame.join('\n')}\n`);
    this.drawn = this.frame.length;
  }

  /** To the start of the frame's first line, then clear to the end of the screen. */
  private erase(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }
}

/** One line per task state change, for CI logs and pipes, where redrawing is impossible. */
export class LineRunView implements RunView {
  private last: Run | undefined;

  constructor(private readonly out: Terminal) {}

  update(run: Run, now: Date): void {
    for (const line of stateChangeLines(this.last, run, now)) this.out.write(`${line}\n`);
    this.last = run;
  }

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  close(): void {}
}

/** The table on a terminal, change lines anywhere else. */
export function createRunView(out: Terminal, color: boolean): RunView {
  return out.isTTY ? new TableRunView(out, color) : new LineRunView(out);
}

export interface WatchOptions {
  /** Time between polls of `GET /runs/{id}`. @default 500 */
  intervalMs?: number;
  /** Stops watching (the run itself goes on). */
  signal?: AbortSignal;
}

/**
 * Polls the run and shows each snapshot until the run reaches a final state or `signal` aborts.
 * Returns the last snapshot; API errors propagate (`ApiError`, `ServerUnreachableError`).
 */
export async function watchRun(client: ApiClient, runId: string, view: RunView, opts: WatchOptions = {}): Promise<Run> {
  for (;;) {
    const run = await client.getRun(runId);
    view.update(run, new Date());
    if (isFinal(stateOf(run)) || opts.signal?.aborted) return run;
    await sleep(opts.intervalMs ?? 500, opts.signal);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
