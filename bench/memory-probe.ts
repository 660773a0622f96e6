import { round, runToEnd, sleep, startBenchStack } from './bench-stack';
import { noopLoopPipeline, noopPipeline } from './noop-specs';
import { treeMemory, type TreeMemory } from './process-memory';

/**
 * `MALLOC_ARENA_MAX=2 node --max-old-space-size=1536 dist/bench/memory-probe.js [--10k]` (as `sluice dev` runs): the memory part of `npm run bench` alone, to iterate
 * on the stack's footprint: idle, then the peak (RSS and PSS, sampled once a second as the bench
 * does) of the 200-wide fan-out and the 1,000-iteration loop, and with `--10k` the
 * 10,000-iteration loop too, with each run's wall time. Prints one JSON object.
 */
async function main(): Promise<void> {
  const { stack, stop } = await startBenchStack();
  try {
    await sleep(3000);
    const idle = treeMemory();
    await runToEnd(stack, noopPipeline('probe-warmup', 3, 'chain'));
    let peak: TreeMemory = treeMemory();
    let peakPss: TreeMemory = peak;
    // This process's own split at its peak: the main thread's heap, and what is outside it (the
    // workflow thread's heap, the Temporal core's native memory, code).
    let nodePeak = process.memoryUsage();
    const sampler = setInterval(() => {
      const now = treeMemory();
      if (now.stackMiB > peak.stackMiB) peak = now;
      if (now.stackPssMiB > peakPss.stackPssMiB) peakPss = now;
      const usage = process.memoryUsage();
      if (usage.rss > nodePeak.rss) nodePeak = usage;
    }, 1000);
    const wallMs: Record<string, number> = {};
    wallMs.fanout200 = Math.round((await runToEnd(stack, noopPipeline('probe-fanout-200', 200, 'fanout'))).wallMs);
    wallMs.loop1000 = Math.round((await runToEnd(stack, noopLoopPipeline('probe-loop-1000', 1000))).wallMs);
    if (process.argv.includes('--10k')) wallMs.loop10000 = Math.round((await runToEnd(stack, noopLoopPipeline('probe-loop-10000', 10_000), 600_000)).wallMs);
    clearInterval(sampler);
    const after = treeMemory();
    console.log(JSON.stringify({
      idle: { rss: idle.stackMiB, pss: idle.stackPssMiB, byProgram: idle.byProgram, pssByProgram: idle.pssByProgram },
      peakRss: { rss: peak.stackMiB, pss: peak.stackPssMiB, byProgram: peak.byProgram, pssByProgram: peak.pssByProgram },
      peakPss: { rss: peakPss.stackMiB, pss: peakPss.stackPssMiB, byProgram: peakPss.byProgram, pssByProgram: peakPss.pssByProgram },
      after: { rss: after.stackMiB, pss: after.stackPssMiB },
      nodePeakMiB: Object.fromEntries(Object.entries(nodePeak).map(([k, v]) => [k, round(v / 2 ** 20)])),
      wallMs,
      fanoutStepsPerSecond: round(200 / (wallMs.fanout200 / 1000)),
    }, null, 2));
  } finally {
    await stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
