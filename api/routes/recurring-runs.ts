import { Router } from 'express';
import type { NamespaceGuard } from '../auth/namespace-guard';
import { accessOf } from '../auth/principal';
import { toListResponse } from '../converters/common';
import { toApiRecurringRun } from '../converters/recurring-runs';
import { guardPathParameters, noQuery } from '../request-guards';
import { BackfillBody, CreateRecurringRunBody, ListRecurringRunsQuery } from '../schemas/recurring-runs';
import type { RecurringRunService } from '../services/recurring-run-service';
import { customMethodPath } from './custom-method';

/**
 * KFP's RecurringRunService routes, plus Sluice's `:trigger` and `:backfill`. A recurring run is
 * in its experiment's namespace, like the runs it starts: every `recurring_run_id` is checked
 * against the caller's namespaces before its route runs.
 */
export function recurringRunsRouter(recurring: RecurringRunService, namespaces: NamespaceGuard): Router {
  const router = Router();
  guardPathParameters(router);
  namespaces.guardParam(router, 'recurring_run_id');

  router.post('/recurringruns', noQuery, async (req, res) => {
    res.json(toApiRecurringRun(await recurring.create(CreateRecurringRunBody.parse(req.body ?? {}), accessOf(res))));
  });

  // KFP's list response names its array `recurringRuns` (the proto's own field name), unlike `runs`.
  router.get('/recurringruns', async (req, res) => {
    const query = ListRecurringRunsQuery.parse(req.query);
    res.json(toListResponse('recurringRuns', await recurring.list(query, accessOf(res).listNamespaces(query.namespace)), toApiRecurringRun));
  });

  router.get('/recurringruns/:recurring_run_id', noQuery, async (req, res) => {
    res.json(toApiRecurringRun(await recurring.get(req.params.recurring_run_id)));
  });

  router.delete('/recurringruns/:recurring_run_id', noQuery, async (req, res) => {
    await recurring.delete(req.params.recurring_run_id);
    res.json({});
  });

  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'enable'), noQuery, async (req, res) => {
    await recurring.setMode(req.params.recurring_run_id, 'ENABLE');
    res.json({});
  });

  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'disable'), noQuery, async (req, res) => {
    await recurring.setMode(req.params.recurring_run_id, 'DISABLE');
    res.json({});
  });

  /** Sluice: one run now (KFP has no such call); skipped or queued like a timed start while a run is active. */
  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'trigger'), noQuery, async (req, res) => {
    await recurring.trigger(req.params.recurring_run_id);
    res.json({});
  });

  /** Sluice: the runs the trigger would have started between `start_time` and `end_time` (KFP has no such call). */
  router.post(customMethodPath('recurringruns', 'recurring_run_id', 'backfill'), noQuery, async (req, res) => {
    const { start_time, end_time } = BackfillBody.parse(req.body ?? {});
    await recurring.backfill(req.params.recurring_run_id, start_time, end_time);
    res.json({});
  });

  return router;
}
