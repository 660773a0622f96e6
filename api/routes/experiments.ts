import { Router } from 'express';
import { toListResponse } from '../converters/common';
import { toApiExperiment } from '../converters/experiments';
import { ListQuery } from '../schemas/common';
import { ExperimentBody } from '../schemas/experiments';
import type { NamespaceGuard } from '../auth/namespace-guard';
import { accessOf } from '../auth/principal';
import type { ExperimentService } from '../services/experiment-service';
import type { RecurringRunService } from '../services/recurring-run-service';
import { customMethodPath } from './custom-method';
import { guardPathParameters, noQuery } from '../request-guards';

/** KFP's ExperimentService routes. */
export function experimentsRouter(experiments: ExperimentService, recurringRuns: RecurringRunService, namespaces: NamespaceGuard): Router {
  const router = Router();
  guardPathParameters(router);
  namespaces.guardParam(router, 'experiment_id');

  router.post('/experiments', noQuery, async (req, res) => {
    const body = ExperimentBody.parse(req.body ?? {});
    const access = accessOf(res);
    const namespace = body.namespace ?? access.defaultNamespace();
    access.requireNamespace(namespace);
    res.json(toApiExperiment(await experiments.create({ ...body, namespace })));
  });

  router.get('/experiments', async (req, res) => {
    const query = ListQuery.parse(req.query);
    res.json(toListResponse('experiments', await experiments.list(query, accessOf(res).listNamespaces(query.namespace)), toApiExperiment));
  });

  router.get('/experiments/:experiment_id', noQuery, async (req, res) => {
    res.json(toApiExperiment(await experiments.get(req.params.experiment_id)));
  });

  router.delete('/experiments/:experiment_id', noQuery, async (req, res) => {
    await experiments.delete(req.params.experiment_id);
    res.json({});
  });

  router.post(customMethodPath('experiments', 'experiment_id', 'archive'), noQuery, async (req, res) => {
    await experiments.setStorageState(req.params.experiment_id, 'ARCHIVED');
    // The store disabled the experiment's recurring runs with it; their schedules pause now.
    await recurringRuns.syncExperiment(req.params.experiment_id);
    res.json({});
  });

  router.post(customMethodPath('experiments', 'experiment_id', 'unarchive'), noQuery, async (req, res) => {
    await experiments.setStorageState(req.params.experiment_id, 'AVAILABLE');
    res.json({});
  });

  return router;
}
