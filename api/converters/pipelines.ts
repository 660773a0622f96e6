import type { PipelineRecord, PipelineVersionRecord } from '../../store/types';
import type { ApiPipeline, ApiPipelineVersion } from '../api-types';
import { rfc3339 } from './common';

export function toApiPipeline(p: PipelineRecord): ApiPipeline {
  return {
    pipeline_id: p.pipelineId,
    name: p.name,
    display_name: p.displayName,
    description: p.description,
    namespace: p.namespace,
    created_at: rfc3339(p.createdAt),
  };
}

/** As KFP does, a version uploaded with a platform spec returns `{pipeline_spec, platform_spec}`. */
export function toApiPipelineVersion(v: PipelineVersionRecord): ApiPipelineVersion {
  return {
    pipeline_id: v.pipelineId,
    pipeline_version_id: v.pipelineVersionId,
    name: v.name,
    display_name: v.displayName,
    description: v.description,
    created_at: rfc3339(v.createdAt),
    pipeline_spec: v.platformSpec ? { pipeline_spec: v.spec, platform_spec: v.platformSpec } : v.spec,
  };
}
