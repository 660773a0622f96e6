import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/** The floor bench's activity: does nothing (`floor.ts`). */
export interface FloorActivities {
  nothing(): Promise<void>;
}

const remote = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** The least a chain of steps can cost on Temporal: `n` activities that do nothing, one after another. */
export async function floorChain(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await remote.nothing();
}

/** The same with local activities, as steps run inline (ARCHITECTURE "Steps run inline first"). */
export async function floorLocalChain(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await local.nothing();
}
