import { describeError } from '../config/describe-error';

/** One running instance of a supervised part of the stack. */
export interface Supervisee {
  /** Who it is in log lines: `pid 1234`, say. */
  label: string;
  /** Resolves, with how it ended (`exit code 1`, `signal SIGKILL`), when it stops on its own. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  /** First restart delay; doubled after each failed or short-lived restart. @default 500 */
  initialBackoffMs?: number;
  /** @default 15_000 */
  maxBackoffMs?: number;
  /** An instance up this long had recovered: the next crash starts again from the initial delay. @default 60_000 */
  stableAfterMs?: number;
}

/**
 * Keeps one part of the embedded stack (the Temporal dev server, PostgreSQL, the in-process
 * worker) running: when it ends without being asked to, the crash is logged with how it ended,
 * and it is started again (same ports, same data) with exponential backoff until it comes up.
 * The first start is not retried: a stack that cannot start at all says why at once.
 */
export class Supervisor {
  private current: Supervisee | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly opts: Required<SupervisorOptions>;

  constructor(
    readonly name: string,
    private readonly startOnce: () => Promise<Supervisee>,
    private readonly log: (line: string) => void,
    opts: SupervisorOptions = {},
  ) {
    this.opts = { initialBackoffMs: 500, maxBackoffMs: 15_000, stableAfterMs: 60_000, ...opts };
    this.opts.maxBackoffMs = Math.max(this.opts.maxBackoffMs, this.opts.initialBackoffMs);
  }

  /** Up: started and not ended since. */
  get up(): boolean {
    return this.current !== undefined;
  }

  async start(): Promise<void> {
    this.watch(await this.startOnce());
  }

  /** Stops the current instance (if any) and any restart in progress or waiting. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const current = this.current;
    this.current = undefined;
    await current?.stop();
  }

  private watch(instance: Supervisee): void {
    this.current = instance;
    const since = Date.now();
    void instance.exited.then((how) => {
      if (this.current !== instance) return;
      this.current = undefined;
      if (this.stopping) return;
      const stable = Date.now() - since >= this.opts.stableAfterMs;
      void this.restart(`${this.name} (${instance.label}) ended unexpectedly: ${how}`, stable ? this.opts.initialBackoffMs : undefined);
    });
  }

  private delay = 0;

  private async restart(why: string, resetTo: number | undefined): Promise<void> {
    this.delay = resetTo ?? Math.min(this.opts.maxBackoffMs, Math.max(this.opts.initialBackoffMs, this.delay * 2));
    this.log(`${why}; restarting it in ${this.delay} ms`);
    for (;;) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, this.delay).unref();
      });
      if (this.stopping) return;
      try {
        const instance = await this.startOnce();
        if (this.stopping) {
          await instance.stop();
          return;
        }
        this.log(`${this.name} restarted (${instance.label})`);
        this.watch(instance);
        return;
      } catch (err) {
        this.delay = Math.min(this.opts.maxBackoffMs, this.delay * 2);
        this.log(`restarting ${this.name} failed: ${describeError(err)}; next try in ${this.delay} ms`);
      }
    }
  }
}

/** How a child process ended, for a supervisor's log line. */
export function howItEnded(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
