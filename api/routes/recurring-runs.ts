import { Router } from 'express';
import { toListResponse } from '../converters/common';
import { toApiRecurringRun } from '../converters/recurring-runs';
import { BackfillBody, CreateRecurringRunBody, ListRecurringRunsQuery } from '../schemas/recurring-runs';
import type { RecurringRunService } from '../services/recurring-run-service';
import { customMethodPath } from './custom-method';

/** KFP's RecurringRunService routes, plus Sluice's `:trigger` and `:backfill`. */
export function recurringRunsRouter(recurring: RecurringRunService): Router {
  const router = Router();

  router.post('/recurringruns', async (req, res) => {
    res.json(toApiRecurringRun(await recurring.create(CreateRecurringRunBody.parse(req.body ?? {}))));
  });

  // KFP's list response names its array `recurringRuns` (the proto's own field name), unlike `runs`.
  router.get('/recurringruns', async (req, res) => {
    res.json(toListResponse('recurringRuns', await recurring.list(ListRecurringRunsQuery.parse(req.query)), toApiRecurringRun));
  });

  router.get('/recurringruns/:recurring_run_id', async (req, res) => {
    res.json(toApiRecurringRun(await recurring.get(req.params.recurring_run_id)));
  });

  router.delete('/recurringruns/:recurring_run_id', async (req, res) => {
    await recurring.delete(req.params.recurring_run_id);
    res.json({});
  });

  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'enable'), async (req, res) => {
    await recurring.setMode(req.params.recurring_run_id, 'ENABLE');
    res.json({});
  });

  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'disable'), async (req, res) => {
    await recurring.setMode(req.params.recurring_run_id, 'DISABLE');
    res.json({});
  });

  /** Sluice: one run now (KFP has no such call); skipped or queued like a timed start while a run is active. */
  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'trigger'), async (req, res) => {
    await recurring.trigger(req.params.recurring_run_id);
    res.json({});
  });

  /** Sluice: the runs the trigger would have started between `start_time` and `end_time` (KFP has no such call). */
  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'backfill'), async (req, res) => {
    const { start_time, end_time } = BackfillBody.parse(req.body ?? {});
    await recurring.backfill(req.params.recurring_run_id, start_time, end_time);
    res.json({});
  });

  return router;
}
