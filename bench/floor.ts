import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { DevStack } from '../stack/dev-stack';
import { p50Ms, round } from './bench-stack';

/**
 * The floor under a chain step's orchestration overhead, on the stack's own Temporal server:
 * one activity round trip, regular and local (a workflow of nothing but `n` no-op activities in
 * a chain, on a worker of its own with Temporal's defaults: no store, no runner, no sandbox), and
 * one process spawn (`/bin/true` from Node, start to exit).
 */
export interface FloorBench {
  activityRoundTripMs: number;
  /** The same for a local activity (how steps run inline). */
  localActivityRoundTripMs: number;
  spawnMs: number;
}

export async function benchFloor(stack: DevStack, chainLength = 50): Promise<FloorBench> {
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const taskQueue = `bench-floor-${process.pid}`;
  try {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: join(__dirname, 'floor-workflow.js'), logger: new DefaultLogger('WARN') });
    const worker = await Worker.create({ connection, taskQueue, workflowBundle, activities: { nothing: async () => undefined } });
    const running = worker.run();
    try {
      const perActivityMs = async (workflow: string) => {
        const chain = (n: number) => stack.temporal.workflow.execute(workflow, { taskQueue, workflowId: `${taskQueue}-${workflow}-${n}-${Date.now()}`, args: [n] });
        await chain(3);
        const started = performance.now();
        await chain(chainLength);
        return round((performance.now() - started) / chainLength);
      };
      const activityRoundTripMs = await perActivityMs('floorChain');
      const localActivityRoundTripMs = await perActivityMs('floorLocalChain');
      return { activityRoundTripMs, localActivityRoundTripMs, spawnMs: await p50Ms(spawnTrue, 50) };
    } finally {
      worker.shutdown();
      await running;
    }
  } finally {
    await connection.close();
  }
}

function spawnTrue(): Promise<unknown> {
  return new Promise((resolve, reject) => spawn('/bin/true').on('exit', resolve).on('error', reject));
}
