import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, PROJECT_ROOT, type SluiceConfig } from '../config/config';
import type { PipelineSpec } from '../ir/types';
import { startDevStack, type DevStack } from '../stack/dev-stack';
import { freePort } from '../stack/free-port';
import { useScratchTmp } from '../stack/scratch-tmp';

/**
 * A fresh embedded stack (the normal engine, durable) in a temporary data dir, as every bench
 * module runs on. Everything the bench writes to temporary directories from then on is below
 * that dir too, and `stop` stops the stack and removes it all.
 */
export async function startBenchStack(): Promise<{ stack: DevStack; config: SluiceConfig; stop: () => Promise<void> }> {
  const scratch = await useScratchTmp('sluice-bench-');
  const dataDir = scratch.root;
  const [apiPort, temporalPort, temporalUiPort, postgresPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = loadConfig({ dataDir, apiPort, temporalPort, temporalUiPort, postgresPort, parallelism: 200 });
  const stack = await startDevStack(config, { log: (line) => console.error(`bench: ${line}`) });
  const stop = async () => {
    await stack.stop();
    scratch.remove();
  };
  return { stack, config, stop };
}

export type RunToEnd = (stack: DevStack, spec: PipelineSpec, timeoutMs?: number) => Promise<{ runId: string; wallMs: number }>;

/**
 * Creates a run of `spec` through the API and waits for it to succeed: its wall time from the
 * request to the recorded end. The run records its end before its workflow completes, so the
 * wait follows the workflow (Temporal's long poll) and then reads the store, rather than
 * polling the store, which added half a poll interval to every figure and loaded the machine.
 */
export const runToEnd: RunToEnd = async (stack, spec, timeoutMs = 300_000) => {
  const started = performance.now();
  const res = await fetch(`${stack.apiUrl}/apis/v2beta1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
    body: JSON.stringify({ display_name: spec.pipelineInfo.name, pipeline_spec: spec }),
  });
  const body = (await res.json()) as { run_id: string };
  if (!res.ok) throw new Error(`creating ${spec.pipelineInfo.name} failed: ${JSON.stringify(body)}`);
  // A failed or canceled workflow rejects: the store says how the run ended.
  await Promise.race([stack.temporal.workflow.getHandle(body.run_id).result().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  for (;;) {
    if (performance.now() - started > timeoutMs) throw new Error(`${spec.pipelineInfo.name} did not finish within ${timeoutMs} ms`);
    const run = await stack.store.getRun(body.run_id);
    if (run && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(run.state)) {
      if (run.state !== 'SUCCEEDED') throw new Error(`${spec.pipelineInfo.name} ended ${run.state}: ${run.error?.message}`);
      return { runId: body.run_id, wallMs: performance.now() - started };
    }
    await sleep(20);
  }
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (x: number) => Math.round(x * 100) / 100;

/** The median of `xs` (the upper one of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

/** Median wall time of `n` sequential calls, after one warm-up call. */
export async function p50Ms(call: () => Promise<unknown>, n: number): Promise<number> {
  await call();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return round(median(times));
}

/** Writes a bench's figures as `bench/results/<prefix><date>.json`; returns the file's path. */
export function saveResults(prefix: string, results: { date: string }): string {
  const dir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${prefix}${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/**
 * Runs one bench module alone (`node dist/bench/<module>.js`) on a fresh stack, which is stopped
 * afterwards; the process exits 0, or 1 after printing what failed.
 */
export function runAloneOnStack(body: (stack: DevStack, config: SluiceConfig) => Promise<void>): void {
  const main = async () => {
    const { stack, config, stop } = await startBenchStack();
    try {
      await body(stack, config);
    } finally {
      await stop();
    }
  };
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
