import { extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { PipelineSpec } from '../ir/types';
import type { PipelineSpecPayload } from './api-types';
import { UsageError } from './exit-codes';
import { readInputFile } from './input-file';
import { compilePipelineModule, isPipelineModule } from './pipeline-module';

const SPEC_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * A pipeline file as `POST /runs` takes it: a compiled spec (YAML or JSON, as the kfp SDK writes
 * it), or an SDK module compiled here. A second YAML document is KFP's platform spec, sent in
 * KFP's `{pipeline_spec, platform_spec}` wrapper as `kfp.Client` does.
 * Throws `UsageError` for an unreadable, unparsable or non-pipeline file.
 */
export function loadPipelineFile(path: string): PipelineSpecPayload {
  if (isPipelineModule(path)) return compilePipelineModule(path);
  if (!SPEC_EXTENSIONS.has(extname(path).toLowerCase())) {
    throw new UsageError(`${path}: expected a compiled pipeline (.yaml, .yml, .json) or an SDK module (.ts, .js)`);
  }
  const docs = parseAllDocuments(readInputFile(path));
  for (const doc of docs) {
    if (doc.errors.length) throw new UsageError(`${path}: ${doc.errors[0].message}`);
  }
  const [first, second] = docs.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
  const wrapped = isRecord(first) && 'pipeline_spec' in first;
  const pipelineSpec = asPipelineSpec(wrapped ? first.pipeline_spec : first, path);
  const platformSpec = wrapped ? first.platform_spec : second;
  return isRecord(platformSpec) ? { pipeline_spec: pipelineSpec, platform_spec: platformSpec } : pipelineSpec;
}

/** A light check that catches the wrong file; the server validates the spec fully. */
function asPipelineSpec(value: unknown, path: string): PipelineSpec {
  if (!isRecord(value)) throw new UsageError(`${path}: empty, or not a pipeline spec`);
  const info = value.pipelineInfo;
  if (!isRecord(info) || typeof info.name !== 'string' || !info.name) {
    throw new UsageError(`${path}: not a compiled pipeline (no pipelineInfo.name)`);
  }
  if (!isRecord(value.root)) throw new UsageError(`${path}: not a compiled pipeline (no root)`);
  return value as unknown as PipelineSpec;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
