import { cpus } from 'node:os';
import type { DevStack } from '../stack/dev-stack';
import { median, p50Ms, round, runToEnd, saveResults, sleep, startBenchStack } from './bench-stack';
import { benchKfpLocal, kfpLocalRows, type KfpLocalBench } from './kfp-local';
import { noopLoopPipeline, noopPipeline } from './noop-specs';
import { runHistoryStats } from '../stack/run-histories';
import { seedRuns } from './seed-runs';
import { treeMemory } from './process-memory';
import { benchKubernetes, type KubernetesBench } from './kubernetes-bench';
import { loadBurst, type Latencies } from './load';
import { benchPythonSteps, type PythonStepsBench } from './python-steps';
import { benchFloor, type FloorBench } from './floor';

/**
 * `npm run bench`: starts a fresh embedded stack and measures
 *  - orchestration overhead per step on a 50-step chain of no-op steps
 *    ((wall time − the steps' own time) / 50, where a step's own time is its launch's
 *    start-to-exit as the runner saw it), and its floor on this machine (`floor.ts`: an
 *    activity round trip, a process spawn);
 *  - throughput of a 200-wide fan-out of no-op steps: the first, and the median of three after it;
 *  - resident memory of every process of the stack, idle and at the fan-out's peak;
 *  - a 20-step chain and a 50-wide fan-out of lightweight Python no-op steps, compiled from one
 *    kfp source, through Sluice and through `kfp.local`, with the ratio (`kfp-local.ts`);
 *  - a burst of 100 run creations at once with 20 readers listing runs (`load.ts`);
 *  - a no-op KFP lightweight step from start to exit code: warm interpreter vs `sh` (`python-steps.ts`).
 * Prints a table and writes the figures as JSON under bench/results/.
 */
async function main(): Promise<void> {
  const { stack, config, stop } = await startBenchStack();
  try {
    await sleep(3000);
    const idle = treeMemory();

    await runToEnd(stack, noopPipeline('bench-warmup', 3, 'chain'));
    // The first chain after the stack starts pays for V8 compiling the worker's paths; the
    // second is what a worker that has run steps before costs per step.
    const chain = await benchChain(stack, 'bench-chain-50');
    const warmChain = await benchChain(stack, 'bench-chain-50-warm');

    let peak = treeMemory();
    // Reading /proc of every process blocks this process, which runs the worker too: once a second
    // keeps the sampler from slowing what it measures.
    const sampler = setInterval(() => {
      const now = treeMemory();
      if (now.stackMiB + now.stepsMiB > peak.stackMiB + peak.stepsMiB) peak = now;
    }, 1000);
    // As the chain's: the first fan-out pays for V8 compiling the series' paths and each lane's
    // first sandbox (its uid's /tmp, its namespaces); three more give what a warm worker reaches.
    const coldFanout = await runToEnd(stack, noopPipeline('bench-fanout-200-cold', 200, 'fanout'));
    const warmFanouts: number[] = [];
    for (let i = 0; i < 3; i++) warmFanouts.push((await runToEnd(stack, noopPipeline(`bench-fanout-200-${i}`, 200, 'fanout'))).wallMs);
    const fanoutMs = median(warmFanouts);
    const loop1k = await runToEnd(stack, noopLoopPipeline('bench-loop-1000', 1000));
    const loop10k = await runToEnd(stack, noopLoopPipeline('bench-loop-10000', 10_000), 600_000);
    clearInterval(sampler);
    // After the memory figures: it bundles a workflow (webpack) in this process, which runs the worker too.
    const floor = await benchFloor(stack);
    const histories = await runHistoryStats(stack.temporal, loop10k.runId);
    const largest = histories.reduce((a, b) => (b.events > a.events ? b : a));
    // Before the 10,000 seeded runs, like the figures above: the same stack, then kfp.local.
    const kfpLocal = await benchKfpLocal(stack, runToEnd, { chainSteps: 20, fanoutWidth: 50, venv: config.venv, log: (line) => console.error(`bench: ${line}`) });

    await seedRuns(stack.store, 10_000);
    const listP50 = await p50Ms(() => getBody(stack, '/apis/v2beta1/runs?page_size=50'), 50);
    const bigRunP50 = await p50Ms(() => getBody(stack, `/apis/v2beta1/runs/${loop10k.runId}`), 20);
    const burst = await loadBurst(stack.apiUrl, stack.token, noopPipeline('bench-burst', 1, 'chain'), { creations: 100, readers: 20 });

    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      chain50: { ...chain, floor },
      chain50Warm: warmChain,
      fanout200: { wallMs: Math.round(fanoutMs), stepsPerSecond: round(200 / (fanoutMs / 1000)), runsMs: warmFanouts.map(Math.round) },
      fanout200Cold: { wallMs: Math.round(coldFanout.wallMs), stepsPerSecond: round(200 / (coldFanout.wallMs / 1000)) },
      loop1000: { wallMs: Math.round(loop1k.wallMs), stepsPerSecond: round(1000 / (loop1k.wallMs / 1000)) },
      loop10000: {
        wallMs: Math.round(loop10k.wallMs),
        stepsPerSecond: round(10_000 / (loop10k.wallMs / 1000)),
        workflows: histories.length,
        largestHistoryEvents: largest.events,
        peakPendingActivities: Math.max(...histories.map((h) => h.peakPendingActivities)),
        peakPendingChildren: Math.max(...histories.map((h) => h.peakPendingChildren)),
      },
      kfpLocal,
      api: {
        listRunsP50Ms: listP50,
        tenThousandTaskRunP50Ms: bigRunP50,
        burst: { creation: burst.creation, list: burst.list },
      },
      memory: {
        idleStackMiB: idle.stackMiB,
        idleStackPssMiB: idle.stackPssMiB,
        idleProcesses: idle.processes,
        fanoutPeakStackMiB: peak.stackMiB,
        fanoutPeakStackPssMiB: peak.stackPssMiB,
        fanoutPeakStepsMiB: peak.stepsMiB,
        fanoutPeakTotalMiB: round(peak.stackMiB + peak.stepsMiB),
        peakByProgramMiB: peak.byProgram,
      },
    };
    printTable(results);
    const pythonSteps = await benchPythonSteps();
    printPythonSteps(pythonSteps);
    Object.assign(results, { pythonSteps });
    // After this stack's own figures: a worker of its own, on the test control plane.
    let kubernetes: KubernetesBench | { failed: string } | undefined;
    try {
      kubernetes = await benchKubernetes(stack, runToEnd, (line) => console.error(`bench: ${line}`));
      printKubernetes(kubernetes);
    } catch (err) {
      console.error(`bench: the Kubernetes part failed: ${(err as Error).stack ?? err}`);
      kubernetes = { failed: (err as Error).message };
    }
    Object.assign(results, { kubernetes });
    console.log(`\nwritten to ${saveResults('', results)}`);
  } finally {
    await stop();
  }
}

function printPythonSteps(r: PythonStepsBench): void {
  console.log(`\nno-op KFP lightweight step, start to exit code (median of ${r.samples}):`);
  console.log(`  warm interpreter: ${r.zygoteWarmMs} ms (first step of an environment ${r.zygoteFirstMs} ms)`);
  console.log(`  sh + python3, preamble skipped: ${r.shMs} ms; sh running the preamble's pip: ${r.shWithPipMs} ms`);
}

type ChainBench = { wallMs: number; stepsOwnMs: number; overheadPerStepMs: number; medianHandoffMs: number };

/** A 50-step chain of no-op steps: its wall time, its steps' own time, and the orchestration's share per step. */
async function benchChain(stack: DevStack, name: string): Promise<ChainBench> {
  const chain = await runToEnd(stack, noopPipeline(name, 50, 'chain'));
  const ownMs = await stepTimeMs(stack, chain.runId);
  return { wallMs: Math.round(chain.wallMs), stepsOwnMs: Math.round(ownMs), overheadPerStepMs: round((chain.wallMs - ownMs) / 50), medianHandoffMs: await medianHandoffMs(stack, chain.runId) };
}

async function stepTimeMs(stack: DevStack, runId: string): Promise<number> {
  const attempts = await stack.store.listTaskAttempts(runId);
  return attempts.reduce((sum, a) => sum + ((a.finishedAt?.getTime() ?? 0) - a.startedAt.getTime()), 0);
}

/** Median time from one chain step's recorded end to the next one's recorded start. */
async function medianHandoffMs(stack: DevStack, runId: string): Promise<number> {
  const attempts = (await stack.store.listTaskAttempts(runId)).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const gaps = attempts.slice(1).map((a, i) => a.startedAt.getTime() - (attempts[i].finishedAt?.getTime() ?? 0)).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 0;
}

/**
 * A GET's latency as a client sees it, up to the last byte of the response. Parsing the JSON is
 * the client's work, and here it would share the event loop with the API and the worker under
 * test (a 10,000-task run's first page is ~1 MB: ~8 ms to parse), so it is left out.
 */
async function getBody(stack: DevStack, path: string): Promise<void> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.token}` } });
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}`);
  await res.arrayBuffer();
}


function printTable(r: {
  chain50: ChainBench & { floor: FloorBench };
  chain50Warm: ChainBench;
  fanout200: { wallMs: number; stepsPerSecond: number; runsMs: number[] };
  fanout200Cold: { wallMs: number; stepsPerSecond: number };
  loop1000: { wallMs: number; stepsPerSecond: number };
  loop10000: { wallMs: number; stepsPerSecond: number; workflows: number; largestHistoryEvents: number; peakPendingActivities: number; peakPendingChildren: number };
  kfpLocal: KfpLocalBench;
  api: { listRunsP50Ms: number; tenThousandTaskRunP50Ms: number; burst: { creation: Latencies; list: Latencies } };
  memory: { idleStackMiB: number; idleStackPssMiB: number; fanoutPeakStackMiB: number; fanoutPeakStackPssMiB: number; fanoutPeakTotalMiB: number; peakByProgramMiB: Record<string, number> };
}): void {
  const rows: [string, string][] = [
    ['50-step chain: wall time', `${r.chain50.wallMs} ms`],
    ['50-step chain: steps own time', `${r.chain50.stepsOwnMs} ms`],
    ['overhead per step', `${r.chain50.overheadPerStepMs} ms`],
    ['  of which step-to-step handoff (median)', `${r.chain50.medianHandoffMs} ms`],
    ['second 50-step chain (a warm worker): overhead per step', `${r.chain50Warm.overheadPerStepMs} ms`],
    ['  of which step-to-step handoff (median)', `${r.chain50Warm.medianHandoffMs} ms`],
    ['  floor: one activity round trip (a workflow of no-op activities)', `${r.chain50.floor.activityRoundTripMs} ms`],
    ['  floor: one local activity round trip (how steps run inline)', `${r.chain50.floor.localActivityRoundTripMs} ms`],
    ['  floor: one process spawn (/bin/true from Node, median)', `${r.chain50.floor.spawnMs} ms`],
    ['200-wide fan-out, the first: wall time (throughput)', `${r.fanout200Cold.wallMs} ms (${r.fanout200Cold.stepsPerSecond} steps/s)`],
    ['200-wide fan-out, a warm worker: wall time (median of 3)', `${r.fanout200.wallMs} ms (runs: ${r.fanout200.runsMs.join(', ')} ms)`],
    ['200-wide fan-out, a warm worker: throughput', `${r.fanout200.stepsPerSecond} steps/s`],
    ['1,000-iteration loop: wall time', `${r.loop1000.wallMs} ms`],
    ['1,000-iteration loop: throughput', `${r.loop1000.stepsPerSecond} steps/s`],
    ['10,000-iteration loop: wall time', `${r.loop10000.wallMs} ms`],
    ['10,000-iteration loop: throughput', `${r.loop10000.stepsPerSecond} steps/s`],
    ['10,000-iteration loop: workflows', `${r.loop10000.workflows}`],
    ['  largest history (limit 51,200)', `${r.loop10000.largestHistoryEvents} events`],
    ['  peak pending activities / children (limit 2,000)', `${r.loop10000.peakPendingActivities} / ${r.loop10000.peakPendingChildren}`],
    ...kfpLocalRows(r.kfpLocal),
    ['GET /runs?page_size=50 with 10,000 runs (p50)', `${r.api.listRunsP50Ms} ms`],
    ['GET /runs/{id} of the 10,000-task run (p50)', `${r.api.tenThousandTaskRunP50Ms} ms`],
    ['100 creations at once with 20 readers: creation p50 / p95', `${r.api.burst.creation.p50Ms} / ${r.api.burst.creation.p95Ms} ms (${r.api.burst.creation.failed} failed)`],
    ['  the readers: GET /runs?page_size=50 p50 / p95', `${r.api.burst.list.p50Ms} / ${r.api.burst.list.p95Ms} ms (${r.api.burst.list.count} reads, ${r.api.burst.list.failed} failed)`],
    ['memory idle, RSS summed (PSS)', `${r.memory.idleStackMiB} MiB (${r.memory.idleStackPssMiB} MiB)`],
    ['memory peak (fan-out and loops), RSS summed (PSS)', `${r.memory.fanoutPeakStackMiB} MiB (${r.memory.fanoutPeakStackPssMiB} MiB)`],
    ['memory fan-out peak incl. steps (RSS)', `${r.memory.fanoutPeakTotalMiB} MiB`],
    ['  peak by program (RSS)', Object.entries(r.memory.peakByProgramMiB).map(([k, v]) => `${k} ${v}`).join(', ')],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`${'figure'.padEnd(width)} | value`);
  console.log(`${'-'.repeat(width)}-|-${'-'.repeat(16)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)} | ${v}`);
}

function printKubernetes(k: KubernetesBench | undefined): void {
  if (!k) return;
  console.log(`\nKubernetes runner on the test control plane (kwok):`);
  console.log(`  pod Succeeded → launch recorded (median, ${k.chainSteps}-step chain): ${k.succeededToRecordedMs} ms`);
  console.log(`  step recorded → next pod created (median): ${k.finishedToNextPodMs} ms`);
  console.log(`  200-wide fan-out: ${k.fanoutPodsPerSecond} pods/s created, run ${k.fanoutWallMs} ms`);
}


main().catch((err) => {
  console.error(err);
  process.exit(1);
});
