import { z } from 'zod';
import { jsonObject, optionalDescription, optionalName, optionalNamespace, queryFlag, requiredId } from './common';

/** `POST /pipelines`: KFP's `Pipeline`. Either name may be given; each defaults to the other. */
export const PipelineBody = z
  .object({
    name: optionalName,
    display_name: optionalName,
    description: optionalDescription,
    namespace: optionalNamespace,
  })
  .refine((p) => p.name !== undefined || p.display_name !== undefined, {
    message: 'required (or name)',
    path: ['display_name'],
  });
export type PipelineBody = z.infer<typeof PipelineBody>;

/**
 * `POST /pipelines/{id}/versions`: KFP's `PipelineVersion`, with the spec inline. KFP fetches
 * `package_url` from the network; Sluice refuses it rather than make the server fetch URLs.
 */
export const PipelineVersionBody = z
  .object({
    name: optionalName,
    display_name: optionalName,
    description: optionalDescription,
    pipeline_spec: jsonObject.optional(),
    package_url: z.object({ pipeline_url: z.string() }).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.package_url) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['package_url'],
        message: 'fetching a pipeline from a URL is not supported; send pipeline_spec, or upload the file to /apis/v2beta1/pipelines/upload_version',
      });
    } else if (!v.pipeline_spec) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['pipeline_spec'], message: 'required' });
    }
  });
export type PipelineVersionBody = z.infer<typeof PipelineVersionBody>;

/** `POST /pipelines/create`: a pipeline and its first version, in one transaction. */
export const PipelineAndVersionBody = z.object({
  pipeline: PipelineBody,
  pipeline_version: PipelineVersionBody,
});

export const UploadPipelineQuery = z
  .object({
    name: optionalName,
    display_name: optionalName,
    description: optionalDescription,
    namespace: optionalNamespace,
  })
  .strict();
export type UploadPipelineQuery = z.infer<typeof UploadPipelineQuery>;

export const UploadVersionQuery = z
  .object({
    pipelineid: requiredId,
    name: optionalName,
    display_name: optionalName,
    description: optionalDescription,
  })
  .strict();
export type UploadVersionQuery = z.infer<typeof UploadVersionQuery>;

export const DeletePipelineQuery = z.object({ cascade: queryFlag }).strict();

export const PipelineByNameQuery = z.object({ namespace: optionalNamespace }).strict();
