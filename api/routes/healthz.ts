import { Router } from 'express';

/** KFP's `GetHealthzResponse`: Sluice is single-user and keeps pipelines in its database. */
export function healthzRouter(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ multi_user: false, pipeline_store: 'database' });
  });
  return router;
}
