import type { ArtifactRecord, LineageEdge } from '../../store/types';
import type { ApiArtifact } from '../api-types';
import { rfc3339 } from './common';

/** `lineage` may hold edges of other artifacts too; only this artifact's are kept. */
export function toApiArtifact(a: ArtifactRecord, lineage: readonly LineageEdge[]): ApiArtifact {
  return {
    artifact_id: a.artifactId,
    run_id: a.runId,
    name: a.name,
    uri: a.uri,
    schema_title: a.schemaTitle,
    schema_version: a.schemaVersion,
    metadata: a.metadata,
    producer_task_path: a.producerTaskPath,
    output_key: a.outputKey,
    created_at: rfc3339(a.createdAt),
    lineage: lineage
      .filter((e) => e.artifactId === a.artifactId)
      .map((e) => ({ task_path: e.taskPath, direction: e.direction, key: e.key })),
  };
}
