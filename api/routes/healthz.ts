import { Router } from 'express';
import { checkDependencies, type DependencyCheck } from '../health';
import { RETRY_AFTER_SECONDS } from '../errors';

/**
 * `/healthz`: KFP's `GetHealthzResponse` (Sluice is single-user and keeps pipelines in its
 * database) plus each dependency's status; always 200 while the API itself serves (liveness).
 * `/readyz`: 200 when every dependency is up, else 503 with `Retry-After` (readiness).
 */
export function healthzRouter(checks: DependencyCheck[]): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const dependencies = await checkDependencies(checks);
    res.json({ multi_user: false, pipeline_store: 'database', dependencies });
  });
  router.get('/readyz', async (_req, res) => {
    const dependencies = await checkDependencies(checks);
    const down = Object.keys(dependencies).filter((name) => dependencies[name].status === 'down');
    if (down.length) res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS));
    res.json({ ready: down.length === 0, dependencies });
  });
  return router;
}
