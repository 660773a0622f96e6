import { Router } from 'express';
import { toApiArtifact } from '../converters/artifacts';
import type { NamespaceGuard } from '../auth/namespace-guard';
import type { ArtifactService } from '../services/artifact-service';
import { guardPathParameters, noQuery } from '../request-guards';

/** Sluice: one artifact by id, with its lineage. */
export function artifactsRouter(artifacts: ArtifactService, namespaces: NamespaceGuard): Router {
  const router = Router();
  guardPathParameters(router);
  namespaces.guardParam(router, 'artifact_id');
  router.get('/artifacts/:artifact_id', noQuery, async (req, res) => {
    const { artifact, lineage } = await artifacts.get(req.params.artifact_id);
    res.json(toApiArtifact(artifact, lineage));
  });
  return router;
}
