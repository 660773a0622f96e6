import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const stack = globalThis.__SLUICE_TEST_STACK__;
  if (!stack) return;
  await Promise.allSettled([stack.temporal?.stop(), stack.postgres?.stop()]);
  rmSync(stack.stepsDir, { recursive: true, force: true, maxRetries: 3 });
  stack.scratch.remove();
}
