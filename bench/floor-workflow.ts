import { proxyActivities } from '@temporalio/workflow';

/** The floor bench's activity: does nothing (`floor.ts`). */
export interface FloorActivities {
  nothing(): Promise<void>;
}

const { nothing } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** The least a chain of steps can cost on Temporal: `n` activities that do nothing, one after another. */
export async function floorChain(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nothing();
}
