import { Router, type RequestHandler } from 'express';
import multer, { MulterError } from 'multer';
import { formatBytes } from '../../ir/document-limits';
import { InvalidArgumentError, PayloadTooLargeError } from '../errors';
import { toListResponse } from '../converters/common';
import { toApiPipeline, toApiPipelineVersion } from '../converters/pipelines';
import { readPipelineFile, readPipelineSpecObject } from '../pipeline-input';
import { guardPathParameters, noQuery } from '../request-guards';
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

/** The routes that take a multipart file rather than JSON (relative to the API prefix). */
export const UPLOAD_PATHS = ['/pipelines/upload', '/pipelines/upload_version'];

/** KFP's PipelineService and PipelineUploadService routes. */
export function pipelinesRouter(pipelines: PipelineService, namespaces: NamespaceGuard, maxUploadBytes: number): Router {
  const router = Router();
  guardPathParameters(router);
  namespaces.guardParam(router, 'pipeline_id');
  const uploadFile = multipartUpload(maxUploadBytes);

  router.post('/pipelines/upload', uploadFile, async (req, res) => {
    const q = UploadPipelineQuery.parse(req.query);
    const doc = readPipelineFile(req.file, maxUploadBytes);
    const names = { name: q.name, displayName: q.display_name, description: q.description, namespace: newPipelineNamespace(accessOf(res), q.namespace) };
    const { pipeline } = await pipelines.createWithVersion(names, doc);
    res.json(toApiPipeline(pipeline));
  });

  router.post('/pipelines/upload_version', uploadFile, async (req, res) => {
    const q = UploadVersionQuery.parse(req.query);
    await namespaces.require(accessOf(res), 'pipeline_id', q.pipelineid, true);
    const doc = readPipelineFile(req.file, maxUploadBytes);
    const names = { name: q.name, displayName: q.display_name, description: q.description };
    res.json(toApiPipelineVersion(await pipelines.addVersion(q.pipelineid, names, doc, 'pipelineid')));
  });

  router.post('/pipelines', noQuery, async (req, res) => {
    const body = PipelineBody.parse(req.body ?? {});
    const namespace = newPipelineNamespace(accessOf(res), body.namespace);
    const pipeline = await pipelines.create({ name: body.name, displayName: body.display_name, description: body.description, namespace });
    res.json(toApiPipeline(pipeline));
  });

  router.post('/pipelines/create', noQuery, async (req, res) => {
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

  router.get('/pipelines/:pipeline_id', noQuery, async (req, res) => {
    res.json(toApiPipeline(await pipelines.get(req.params.pipeline_id)));
  });

  router.delete('/pipelines/:pipeline_id', async (req, res) => {
    const { cascade } = DeletePipelineQuery.parse(req.query);
    await pipelines.delete(req.params.pipeline_id, cascade);
    res.json({});
  });

  router.post('/pipelines/:pipeline_id/versions', noQuery, async (req, res) => {
    const body = PipelineVersionBody.parse(req.body ?? {});
    const doc = readPipelineSpecObject(body.pipeline_spec, 'pipeline_spec');
    const names = { name: body.name, displayName: body.display_name, description: body.description };
    res.json(toApiPipelineVersion(await pipelines.addVersion(req.params.pipeline_id, names, doc)));
  });

  router.get('/pipelines/:pipeline_id/versions', async (req, res) => {
    const page = await pipelines.listVersions(req.params.pipeline_id, ListQuery.parse(req.query));
    res.json(toListResponse('pipeline_versions', page, toApiPipelineVersion));
  });

  router.get('/pipelines/:pipeline_id/versions/:version_id', noQuery, async (req, res) => {
    res.json(toApiPipelineVersion(await pipelines.getVersion(req.params.pipeline_id, req.params.version_id)));
  });

  router.delete('/pipelines/:pipeline_id/versions/:version_id', noQuery, async (req, res) => {
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

/**
 * Reads the `uploadfile` field into memory, at most `maxBytes`. Besides the file, a form carries
 * nothing but a few small fields (kfp.Client sends none), so the rest is bounded tightly. A body
 * busboy cannot parse (no boundary, a cut-off part, a bad header) is the client's error.
 */
function multipartUpload(maxBytes: number): RequestHandler {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 16, fieldSize: 64 * 1024, parts: 32, headerPairs: 64 },
  }).single('uploadfile');
  return (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (err === undefined || err === null) return next();
      if (err instanceof MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') return next(new PayloadTooLargeError('uploadfile', `larger than the ${formatBytes(maxBytes)} limit`));
        if (err.code === 'LIMIT_FIELD_VALUE') return next(new PayloadTooLargeError(err.field ?? 'form field', 'larger than the 64 KiB limit of a form field'));
        return next(err);
      }
      next(InvalidArgumentError.of('uploadfile', `malformed multipart body: ${(err as Error).message}`));
    });
  };
}
