import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { Gauge, Registry } from 'prom-client';
import { processExposition, processMetrics, settle } from '../../observability/metrics';
import type { MetadataStore } from '../../store/types';

export const METRICS_PATH = '/metrics';

export interface MetricsSources {
  store: MetadataStore;
  temporal: Client;
  taskQueue: string;
}

/**
 * Prometheus's text exposition of: the process's own metrics (request latency, activity
 * durations, store errors, Node's runtime), figures read now from the store (runs and live
 * tasks by state) and from Temporal (the task queue's backlog), and the Temporal SDK's worker
 * metrics. A source that is down is reported by `sluice_metrics_source_up` instead of failing
 * the scrape, so the other figures still arrive while PostgreSQL or Temporal is away.
 */
export function metricsRouter(sources: MetricsSources): Router {
  const router = Router();
  router.get(METRICS_PATH, async (_req, res) => {
    const scrape = new Registry();
    const up = new Gauge({ name: 'sluice_metrics_source_up', help: 'Whether a source of this scrape answered', labelNames: ['source'], registers: [scrape] });
    const [store, queue, own] = await Promise.all([settle(storeGauges(sources.store, scrape)), settle(queueGauges(sources, scrape)), processExposition()]);
    up.set({ source: 'postgres' }, store.ok ? 1 : 0);
    up.set({ source: 'temporal' }, queue.ok ? 1 : 0);
    const text = [own, await scrape.metrics()].join('\n');
    res.type(processMetrics.contentType).send(text);
  });
  return router;
}

async function storeGauges(store: MetadataStore, scrape: Registry): Promise<void> {
  const counts = await store.countByState();
  const runs = new Gauge({ name: 'sluice_runs', help: 'Runs by state', labelNames: ['state'], registers: [scrape] });
  const tasks = new Gauge({ name: 'sluice_active_run_tasks', help: 'Tasks of unfinished runs by state', labelNames: ['state'], registers: [scrape] });
  for (const [state, n] of Object.entries(counts.runs)) runs.set({ state }, n ?? 0);
  for (const [state, n] of Object.entries(counts.activeTasks)) tasks.set({ state }, n ?? 0);
}

/** Tasks waiting for a worker: workflow tasks (the runs' orchestration) and activity tasks (steps). */
async function queueGauges({ temporal, taskQueue }: MetricsSources, scrape: Registry): Promise<void> {
  const backlog = new Gauge({ name: 'sluice_task_queue_backlog', help: "Approximate backlog of Sluice's task queue, by task type", labelNames: ['type'], registers: [scrape] });
  const pollers = new Gauge({ name: 'sluice_task_queue_pollers', help: "Workers polling Sluice's task queue, by task type", labelNames: ['type'], registers: [scrape] });
  const types = [['workflow', 1], ['activity', 2]] as const; // TASK_QUEUE_TYPE_WORKFLOW, _ACTIVITY
  await Promise.all(types.map(async ([type, taskQueueType]) => {
    const answer = await temporal.workflowService.describeTaskQueue({ namespace: temporal.options.namespace, taskQueue: { name: taskQueue }, taskQueueType, reportStats: true });
    backlog.set({ type }, Number(answer.stats?.approximateBacklogCount ?? 0));
    pollers.set({ type }, answer.pollers?.length ?? 0);
  }));
}
