/** prepareLaunch is pure: what one launch runs, where its outputs go, and what a pod is told. */
import { ApplicationFailure } from '@temporalio/common';
import { taskLayout } from '../../activities/layout';
import { prepareLaunch } from '../../activities/prepare-launch';
import type { TaskActivityInput } from '../../activities/types';
import type { ContainerSpec } from '../../ir/types';

const ROOT = '/var/lib/sluice/artifacts';

function taskInput(container: ContainerSpec, extra: Partial<TaskActivityInput> = {}): TaskActivityInput {
  return {
    runId: 'run-1',
    runName: 'run',
    pipelineName: 'p',
    pipelineRoot: ROOT,
    createdAt: '2026-12-02T09:00:00Z',
    taskPath: 'root/createpvc',
    displayName: 'createpvc',
    componentName: 'comp-createpvc',
    container,
    inputs: { parameters: {}, artifacts: {} },
    maxStepAttempts: 1,
    executorLabel: 'exec-createpvc',
    ...extra,
  };
}

const prepare = (input: TaskActivityInput, opts: { workspaceIsVolume?: boolean; kubernetesSteps?: boolean } = {}) =>
  prepareLaunch(input, { launch: 1, layout: taskLayout(ROOT, input.runId, input.taskPath), launchName: 'run-1-root-createpvc-1', baseEnv: {}, ...opts });

describe('prepareLaunch', () => {
  const createPvc = taskInput(
    { image: 'argostub/createpvc' },
    { outputDefinitions: { parameters: { name: { parameterType: 'STRING' } } }, inputs: { parameters: { size: '1Gi' }, artifacts: {} } },
  );

  test("a CreatePVC launch has no command, and tells the runner where its output 'name' goes", () => {
    const plan = prepare(createPvc, { kubernetesSteps: true });
    expect(plan.spec.argv).toEqual([]);
    expect(plan.spec.task?.outputParameterFiles).toEqual({ name: `${ROOT}/run-1/root/createpvc/launch-1/outputs/name` });
    expect(plan.parameterFiles).toEqual(plan.spec.task?.outputParameterFiles);
  });

  test('a runner that does not carry out CreatePVC fails the launch for good, naming the step and the runner that can', () => {
    expect(() => prepare(createPvc)).toThrow(ApplicationFailure);
    const error = ((): unknown => {
      try {
        return prepare(createPvc);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toMatchObject({ type: 'InvalidTask', nonRetryable: true });
    expect((error as Error).message).toMatch(/kfp-kubernetes' createPvc \(argostub\/createpvc\), which only the Kubernetes runner carries out/);
  });

  test("the run's workspace directory is made writable unless the runner mounts the workspace as its own volume", () => {
    const step = taskInput({ image: 'busybox', command: ['ls', '{{$.workspace_path}}'] }, { workspacePath: '/kfp-workspace', taskPath: 'root/ls' });
    expect(prepare(step, { workspaceIsVolume: true }).spec.writableDirs).not.toContain('/kfp-workspace');
    expect(prepare(step, { workspaceIsVolume: true }).spec.argv).toEqual(['ls', '/kfp-workspace']);
    const local = taskInput({ image: 'busybox', command: ['ls'] }, { workspacePath: `${ROOT}/run-1/workspace`, taskPath: 'root/ls' });
    expect(prepare(local).spec.writableDirs).toContain(`${ROOT}/run-1/workspace`);
  });

  test('resources are resolved once, here, and the pod is given what was resolved', () => {
    const step = taskInput(
      { image: 'busybox', command: ['true'], resources: { resourceCpuLimit: "{{$.inputs.parameters['cpu']}}", memoryLimit: 4 } },
      { inputs: { parameters: { cpu: '500m' }, artifacts: {} }, taskPath: 'root/train' },
    );
    const plan = prepare(step);
    expect(plan.resources).toEqual({ cpuLimit: '500m', memoryLimit: '4G' });
    expect(plan.spec.task?.resources).toBe(plan.resources);
  });
});
