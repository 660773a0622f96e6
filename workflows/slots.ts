import { CancellationScope } from '@temporalio/workflow';

/**
 * A counting semaphore in workflow code: at most `limit` holders at once, served first come,
 * first served (deterministic, so replay hands slots out in the same order). A waiter whose
 * scope is cancelled leaves the queue with the cancellation.
 */
export class Slots {
  private used = 0;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used += 1;
      return;
    }
    const scope = CancellationScope.current();
    await new Promise<void>((resolve, reject) => {
      const waiter = { grant: resolve };
      this.waiting.push(waiter);
      scope.cancelRequested.catch((err: unknown) => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) {
          this.waiting.splice(at, 1);
          reject(err);
        }
      });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.used -= 1;
  }

  async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
