import type { NextFunction, Request, Response, Router } from 'express';
import type { MetadataStore } from '../../store/types';
import { SAFE_METHODS } from './guard';
import { accessOf, type Access } from './principal';

/** Route parameters that name a resource living in a namespace. */
export type NamespacedParam = 'experiment_id' | 'run_id' | 'pipeline_id' | 'artifact_id' | 'recurring_run_id';

const RESOURCE: Record<NamespacedParam, string> = {
  experiment_id: 'experiment',
  run_id: 'run',
  pipeline_id: 'pipeline',
  artifact_id: 'artifact',
  recurring_run_id: 'recurring run',
};

/**
 * Namespace checks for resources named by id: an experiment, run, recurring run or namespaced
 * pipeline only for callers that reach its namespace, a shared pipeline (namespace `''`) read by
 * all but changed only by callers that reach `''`; an artifact goes with the run that made it. An
 * unknown id passes, so the route answers its own 404.
 */
export class NamespaceGuard {
  constructor(private readonly store: MetadataStore) {}

  /** Checks every route of `router` that has `:param`, before the route runs. */
  guardParam(router: Router, param: NamespacedParam): void {
    router.param(param, (req: Request, res: Response, next: NextFunction, id: string) => {
      this.require(accessOf(res), param, id, !SAFE_METHODS.has(req.method)).then(() => next(), next);
    });
  }

  /** Throws `PermissionDeniedError` unless the caller may read (or, with `write`, change) the resource. */
  async require(access: Access, param: NamespacedParam, id: string, write: boolean): Promise<void> {
    const namespace = await this.namespaceOf(param, id);
    if (namespace === undefined) return;
    const what = `${RESOURCE[param]} "${id}"`;
    if (param === 'pipeline_id' && !write) access.requirePipelineRead(namespace, what);
    else access.requireNamespace(namespace, what);
  }

  private async namespaceOf(param: NamespacedParam, id: string): Promise<string | undefined> {
    switch (param) {
      case 'experiment_id':
        return (await this.store.getExperiment(id))?.namespace;
      case 'run_id':
        return this.store.getRunNamespace(id);
      case 'pipeline_id':
        return (await this.store.getPipeline(id))?.namespace;
      case 'recurring_run_id':
        return (await this.store.getRecurringRun(id))?.namespace;
      case 'artifact_id': {
        const artifact = await this.store.getArtifact(id);
        return artifact && this.store.getRunNamespace(artifact.runId);
      }
      default: {
        const unreachable: never = param;
        throw new Error(`unhandled parameter ${String(unreachable)}`);
      }
    }
  }
}
