import type { ArtifactRecord, LineageEdge, MetadataStore } from '../../store/types';
import { NotFoundError } from '../errors';

/** Artifacts with the lineage edges of their run (who produced and who consumed each). */
export interface ArtifactsWithLineage {
  artifacts: ArtifactRecord[];
  lineage: LineageEdge[];
}

export class ArtifactService {
  constructor(private readonly store: MetadataStore) {}

  async listForRun(runId: string): Promise<ArtifactsWithLineage> {
    if (!(await this.store.getRun(runId))) throw new NotFoundError('run', runId);
    const [artifacts, lineage] = await Promise.all([this.store.listArtifacts(runId), this.store.listLineage(runId)]);
    return { artifacts, lineage };
  }

  async get(artifactId: string): Promise<{ artifact: ArtifactRecord; lineage: LineageEdge[] }> {
    const artifact = await this.store.getArtifact(artifactId);
    if (!artifact) throw new NotFoundError('artifact', artifactId);
    return { artifact, lineage: await this.store.listLineage(artifact.runId) };
  }
}
