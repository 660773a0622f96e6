/**
 * Patch: the workflow never cancels a local activity it started. sdk-core cannot take the
 * cancellation of a local activity whose result it holds but has not recorded yet (an invalid
 * transition: every later workflow task of the run fails, and a terminated run stays CANCELING
 * for good; temporalio/sdk-rust#705), and a terminate that reaches the workflow just as a local
 * activity ends asks exactly that. Each one ends by itself instead: a store write within its
 * transaction, an inline step within its window.
 */
export const LOCAL_ACTIVITIES_UNCANCELLED = 'local-activities-uncancelled';

/**
 * At most one of a workflow's local activities in flight at a time.
 *
 * Two local activities in flight together break replay: live, each one's result wakes the
 * workflow in an activation of its own, in the order they ended; on replay the SDK may hand
 * results that follow each other in the history to the workflow in one activation, where the
 * promise callbacks they release interleave differently, so the workflow issues its next
 * commands in another order (a nondeterminism error). One local activity at a time leaves each
 * activation at most one result, live and on replay. Whoever cannot have the lane at once
 * either waits for it or, for a task, runs as a regular activity instead.
 */
export class LocalLane {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  /** Takes the lane if it is free; true when taken. */
  tryAcquire(): boolean {
    if (this.busy) return false;
    this.busy = true;
    return true;
  }

  /** Runs `work` holding the lane, waiting for it first if it is taken. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (!this.tryAcquire()) await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Hands the lane to the first waiter, else frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }
}
