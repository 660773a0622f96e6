import type { PipelineSpec } from '../ir/types';
import { runAloneOnStack } from './bench-stack';
import { noopPipeline } from './noop-specs';

export interface Latencies {
  count: number;
  /** Requests that did not answer 2xx (or did not answer), with the first few reasons. */
  failed: number;
  failures: string[];
  p50Ms: number;
  p95Ms: number;
}

export interface LoadBurst {
  creation: Latencies;
  list: Latencies;
  runIds: string[];
}

/**
 * `creations` runs of `spec` created at once while `readers` clients list runs
 * (`GET /runs?page_size=50`) back to back until the last creation has answered: how the API
 * holds up under a burst (issue 8: 100 creations with 20 readers).
 */
export async function loadBurst(apiUrl: string, token: string, spec: PipelineSpec, opts: { creations: number; readers: number; parameters?: Record<string, unknown> }): Promise<LoadBurst> {
  const authorization = `Bearer ${token}`;
  const creation = new Sampler();
  const list = new Sampler();
  const body = JSON.stringify({ display_name: spec.pipelineInfo.name, pipeline_spec: spec, runtime_config: { parameters: opts.parameters ?? {} } });
  let creating = true;
  const readers = Array.from({ length: opts.readers }, async () => {
    while (creating) await list.time(() => fetch(`${apiUrl}/apis/v2beta1/runs?page_size=50`, { headers: { authorization } }));
  });
  const runIds = await Promise.all(
    Array.from({ length: opts.creations }, async () => {
      const res = await creation.time(() => fetch(`${apiUrl}/apis/v2beta1/runs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body }));
      return res ? ((await res.json()) as { run_id: string }).run_id : undefined;
    }),
  ).finally(() => (creating = false));
  await Promise.all(readers);
  return { creation: creation.summary(), list: list.summary(), runIds: runIds.filter((id): id is string => id !== undefined) };
}

class Sampler {
  private readonly times: number[] = [];
  private failed = 0;
  private readonly failures: string[] = [];

  /** The response when it was a 2xx; its body is read here otherwise, for the reason. */
  async time(request: () => Promise<Response>): Promise<Response | undefined> {
    const started = performance.now();
    try {
      const res = await request();
      this.times.push(performance.now() - started);
      if (res.ok) return res;
      this.fail(`${res.status} ${await res.text()}`);
    } catch (err) {
      this.fail((err as Error).message);
    }
    return undefined;
  }

  private fail(reason: string): void {
    this.failed++;
    if (this.failures.length < 5) this.failures.push(reason.slice(0, 300));
  }

  summary(): Latencies {
    const sorted = [...this.times].sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return { count: sorted.length, failed: this.failed, failures: this.failures, p50Ms: at(0.5), p95Ms: at(0.95) };
  }
}

/** `node dist/bench/load.js`: the burst alone, on a fresh embedded stack like the bench's (the bench runs it too). */
if (require.main === module) {
  runAloneOnStack(async (stack) => {
    const burst = await loadBurst(stack.apiUrl, stack.token, noopPipeline('load-burst', 1, 'chain'), { creations: 100, readers: 20 });
    console.log(JSON.stringify({ creation: burst.creation, list: burst.list }, null, 2));
  });
}
