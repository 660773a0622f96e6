import { Router } from 'express';
import multer from 'multer';
import { toListResponse } from '../converters/common';
import { toApiPipeline, toApiPipelineVersion } from '../converters/pipelines';
import { MAX_PIPELINE_FILE_BYTES, readPipelineFile, readPipelineSpecObject } from '../pipeline-input';
import { ListQuery } from '../schemas/common';
import {
  DeletePipelineQuery,
  PipelineAndVersionBody,
  PipelineBody,
  PipelineByNameQuery,
  PipelineVersionBody,
  UploadPipelineQuery,
  UploadVersionQuery,
} from '../schemas/pipelines';
import type { NamespaceGuard } from '../auth/namespace-guard';
import { SHARED_NAMESPACE, accessOf, type Access } from '../auth/principal';
import type { PipelineService } from '../services/pipeline-service';

/** KFP's PipelineService and PipelineUploadService routes. */
export function pipelinesRouter(pipelines: PipelineService, namespaces: NamespaceGuard): Router {
  const router = Router();
  namespaces.guardParam(router, 'pipeline_id');
  const uploadFile = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_PIPELINE_FILE_BYTES, files: 1 } }).single('uploadfile');

  router.post('/pipelines/upload', uploadFile, async (req, res) => {
    const q = UploadPipelineQuery.parse(req.query);
    const doc = readPipelineFile(req.file);
    const names = { name: q.name, displayName: q.display_name, description: q.description, namespace: newPipelineNamespace(accessOf(res), q.namespace) };
    const { pipeline } = await pipelines.createWithVersion(names, doc);
    res.json(toApiPipeline(pipeline));
  });

  router.post('/pipelines/upload_version', uploadFile, async (req, res) => {
    const q = UploadVersionQuery.parse(req.query);
    await namespaces.require(accessOf(res), 'pipeline_id', q.pipelineid, true);
    const doc = readPipelineFile(req.file);
    const names = { name: q.name, displayName: q.display_name, description: q.description };
    res.json(toApiPipelineVersion(await pipelines.addVersion(q.pipelineid, names, doc, 'pipelineid')));
  });

  router.post('/pipelines', async (req, res) => {
    const body = PipelineBody.parse(req.body ?? {});
    const namespace = newPipelineNamespace(accessOf(res), body.namespace);
    const pipeline = await pipelines.create({ name: body.name, displayName: body.display_name, description: body.description, namespace });
    res.json(toApiPipeline(pipeline));
  });

  router.post('/pipelines/create', async (req, res) => {
    const { pipeline: p, pipeline_version: v } = PipelineAndVersionBody.parse(req.body ?? {});
    const doc = readPipelineSpecObject(v.pipeline_spec, 'pipeline_version.pipeline_spec');
    const { pipeline } = await pipelines.createWithVersion(
      { name: p.name, displayName: p.display_name, description: p.description, namespace: newPipelineNamespace(accessOf(res), p.namespace) },
      doc,
      { name: v.name, displayName: v.display_name, description: v.description },
    );
    res.json(toApiPipeline(pipeline));
  });

  router.get('/pipelines', async (req, res) => {
    const query = ListQuery.parse(req.query);
    res.json(toListResponse('pipelines', await pipelines.list(query, pipelineListNamespaces(accessOf(res), query.namespace)), toApiPipeline));
  });

  router.get('/pipelines/names/:name', async (req, res) => {
    const { namespace } = PipelineByNameQuery.parse(req.query);
    accessOf(res).requirePipelineRead(namespace ?? SHARED_NAMESPACE);
    res.json(toApiPipeline(await pipelines.getByName(req.params.name, namespace)));
  });

  router.get('/pipelines/:pipeline_id', async (req, res) => {
    res.json(toApiPipeline(await pipelines.get(req.params.pipeline_id)));
  });

  router.delete('/pipelines/:pipeline_id', async (req, res) => {
    const { cascade } = DeletePipelineQuery.parse(req.query);
    await pipelines.delete(req.params.pipeline_id, cascade);
    res.json({});
  });

  router.post('/pipelines/:pipeline_id/versions', async (req, res) => {
    const body = PipelineVersionBody.parse(req.body ?? {});
    const doc = readPipelineSpecObject(body.pipeline_spec, 'pipeline_spec');
    const names = { name: body.name, displayName: body.display_name, description: body.description };
    res.json(toApiPipelineVersion(await pipelines.addVersion(req.params.pipeline_id, names, doc)));
  });

  router.get('/pipelines/:pipeline_id/versions', async (req, res) => {
    const page = await pipelines.listVersions(req.params.pipeline_id, ListQuery.parse(req.query));
    res.json(toListResponse('pipeline_versions', page, toApiPipelineVersion));
  });

  router.get('/pipelines/:pipeline_id/versions/:version_id', async (req, res) => {
    res.json(toApiPipelineVersion(await pipelines.getVersion(req.params.pipeline_id, req.params.version_id)));
  });

  router.delete('/pipelines/:pipeline_id/versions/:version_id', async (req, res) => {
    await pipelines.deleteVersion(req.params.pipeline_id, req.params.version_id);
    res.json({});
  });

  return router;
}

/** A new pipeline's namespace: the one asked for, else the caller's default; the caller must reach it. */
function newPipelineNamespace(access: Access, requested: string | undefined): string {
  const namespace = requested ?? access.defaultNamespace();
  access.requireNamespace(namespace);
  return namespace;
}

/** The namespace asked for, else every namespace the caller reaches plus the shared pipelines. */
function pipelineListNamespaces(access: Access, requested: string | undefined): readonly string[] | undefined {
  const namespaces = access.listNamespaces(requested);
  return requested !== undefined || namespaces === undefined ? namespaces : [...new Set([...namespaces, SHARED_NAMESPACE])];
}
