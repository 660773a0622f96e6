import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createTaskActivities } from '../../activities/run-task';
import { LocalProcessRunner } from '../../activities/runners/local-process-runner';
import type { TaskActivityInput } from '../../activities/types';
import { confineSteps, resolveStepUser } from '../../worker/step-user';
import { newRun, useStore } from '../store/fixtures';
import { stepWritableDir } from '../support/temp-dirs';

const db = useStore('output_names');

/**
 * The API refuses output names that are not plain file names; a spec that reaches a worker
 * anyway (an older run, a client of Temporal's own) must not lead the root worker to create,
 * chown, clear or seal anything outside the launch's directories.
 */
describe('runTask: an output name or task path that is not plain', () => {
  test.each([
    { name: '../../../escape', taskPath: 'writer', error: 'output name "../../../escape" is not a plain file name' },
    { name: 'a/b', taskPath: 'writer', error: 'output name "a/b" is not a plain file name' },
    { name: '..', taskPath: 'writer', error: 'output name ".." is not a plain file name' },
    { name: 'out', taskPath: 'root/../../escape', error: "is not inside its run's directory" },
  ])('$name in $taskPath fails the task before anything outside is touched', async ({ name, taskPath, error }) => {
    const identity = resolveStepUser(undefined, '2000000000-2000065535');
    const confine = identity && (await confineSteps(identity, stepWritableDir('output-names-data'), 'isolated'));
    const { runTask } = createTaskActivities({ store: db.store(), runner: new LocalProcessRunner({ confine }), stepEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, killGraceMs: 1_000, cacheEnabled: true });
    const { runId } = await db.store().createRun(newRun());
    const pipelineRoot = stepWritableDir('output-names');
    // Where `../../../escape` would lead from the task's outputs: a root-only directory.
    const victim = join(pipelineRoot, 'escape');
    mkdirSync(victim, { mode: 0o700 });
    writeFileSync(join(victim, 'keep'), 'kept');
    const dir = stepWritableDir('output-names-ran');
    const input: TaskActivityInput = {
      runId,
      runName: 'run',
      pipelineName: 'p',
      pipelineRoot,
      createdAt: new Date().toISOString(),
      taskPath,
      displayName: 'writer',
      componentName: 'comp-writer',
      container: { image: 'alpine', command: ['sh', '-c', 'touch "$0/ran"', dir] },
      inputs: { parameters: {}, artifacts: {} },
      outputDefinitions: { artifacts: { [name]: { artifactType: { schemaTitle: 'system.Dataset' } } } },
      maxStepAttempts: 1,
    };
    const failure = await new MockActivityEnvironment().run(runTask, input).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InvalidTask', nonRetryable: true });
    expect((failure as Error).message).toContain(error);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(statSync(victim)).toMatchObject({ uid: process.getuid?.() });
    expect(statSync(victim).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(victim, 'keep'), 'utf8')).toBe('kept');
  });
});
