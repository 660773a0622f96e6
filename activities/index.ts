import type { MetadataStore } from '../store/types';
import { createImportArtifact } from './import-artifact';
import { createRecordRunState } from './record-run';
import { createRecordTaskStates } from './record-task-states';
import { createRegisterRun } from './register-run';
import { createReopenRun } from './reopen-run';
import { createTaskActivities } from './run-task';
import type { PythonEnvs } from './runners/python-envs';
import type { Runner } from './runners/runner';
import { createPrepareWorkspace, createRemoveWorkspace } from './workspace';

export interface ActivityDeps {
  store: MetadataStore;
  runner: Runner;
  stepEnv: Record<string, string>;
  killGraceMs?: number;
  pythonEnvs?: PythonEnvs;
  /** The deployment's cache switch. @default true, as in KFP */
  cacheEnabled?: boolean;
}

/** The worker's activities, with their dependencies injected (real ones in tests too). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTaskActivities({ ...deps, killGraceMs: deps.killGraceMs ?? 5_000, cacheEnabled: deps.cacheEnabled ?? true }),
    recordRunState: createRecordRunState(deps.store),
    recordTaskStates: createRecordTaskStates(deps.store),
    registerRun: createRegisterRun(deps.store),
    reopenRun: createReopenRun(deps.store),
    importArtifact: createImportArtifact(deps.store),
    prepareWorkspace: createPrepareWorkspace(deps.runner),
    removeWorkspace: createRemoveWorkspace(deps.runner),
  };
}

export type Activities = ReturnType<typeof createActivities>;
