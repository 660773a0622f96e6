import { randomUUID } from 'node:crypto';
import type { MetadataStore } from '../store/types';
import { noopPipeline } from './noop-specs';

/** Stores `n` finished runs (rows only, no workflows), so list latency is measured on a full table. */
export async function seedRuns(store: MetadataStore, n: number): Promise<void> {
  const spec = noopPipeline('bench-seeded', 1, 'chain');
  const experiment = await store.getDefaultExperiment();
  const base = Date.now() - n * 1000;
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, (_, j) => {
        const at = new Date(base + (i + j) * 1000);
        return store.createRun({
          runId: randomUUID(),
          displayName: `seeded ${i + j}`,
          description: '',
          experimentId: experiment.experimentId,
          spec,
          parameters: {},
          state: 'SUCCEEDED',
          createdAt: at,
          scheduledAt: at,
        });
      }),
    );
  }
}
