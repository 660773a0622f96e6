/**
 * The pod of a launch without kfp-kubernetes settings: identity, command, environment, storage,
 * security and the runner's config. Executor settings are in executor-config.test.ts.
 */
import { buildPod } from '../../../activities/runners/kubernetes/build-pod';
import { POD_ANNOTATIONS, POD_LABELS } from '../../../activities/runners/kubernetes/metadata';
import { parseKubernetesPlatform } from '../../../activities/runners/kubernetes/platform-config';
import { workspaceClaimName, WORKSPACE_MOUNT_PATH } from '../../../activities/runners/kubernetes/storage';
import { ConfigError } from '../../../config/config';
import { launchNameFor } from '../../../ir/task-path';
import { ARTIFACTS, issueOf, kubeletExpand, main, platformWith, podLaunch, podProblems, runnerConfig } from './pod-fixtures';

describe('buildPod: the launch', () => {
  test('is one pod named after the launch, never restarted, with one container main', () => {
    const pod = buildPod(podLaunch(), runnerConfig());
    expect(pod).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'run-1-root-train-1', namespace: 'default' } });
    expect(pod.spec?.restartPolicy).toBe('Never');
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['main']);
    expect(main(pod)).toMatchObject({ image: 'python:3.11', workingDir: `${ARTIFACTS}/run-1/root/train/launches/1`, terminationMessagePolicy: 'FallbackToLogsOnError' });
    expect(podProblems(pod)).toEqual([]);
  });

  test('labels and annotations link the pod to its run, task and launch', () => {
    const pod = buildPod(podLaunch({ launch: 3 }), runnerConfig());
    expect(pod.metadata?.labels).toEqual({
      [POD_LABELS.managedBy]: 'sluice',
      [POD_LABELS.runId]: 'run-1',
      [POD_LABELS.task]: expect.stringMatching(/^root-train-[0-9a-f]{10}$/),
      [POD_LABELS.launch]: '3',
    });
    expect(pod.metadata?.annotations).toEqual({ [POD_ANNOTATIONS.runId]: 'run-1', [POD_ANNOTATIONS.taskPath]: 'root/train', [POD_ANNOTATIONS.executor]: 'exec-train' });
  });

  test('a 200-character task path keeps the name and every label within 63 characters, and whole in an annotation', () => {
    const runId = '3f2b8c1e-9d4a-4b7e-8f00-1234567890ab';
    const taskPath = `root/${'for-loop-2[17]/'.repeat(12)}${'Train_Model'.repeat(2)}`.slice(0, 200);
    expect(taskPath).toHaveLength(200);
    const pod = buildPod(podLaunch({ name: launchNameFor(runId, taskPath, 12), runId, taskPath, launch: 12 }), runnerConfig());
    expect(pod.metadata?.name?.length).toBeLessThanOrEqual(63);
    for (const value of Object.values(pod.metadata?.labels ?? {})) expect(value.length).toBeLessThanOrEqual(63);
    expect(pod.metadata?.annotations?.[POD_ANNOTATIONS.taskPath]).toBe(taskPath);
    expect(podProblems(pod)).toEqual([]);
    // Two paths that differ only past the cut still get different labels.
    const other = buildPod(podLaunch({ runId, taskPath: `${taskPath.slice(0, -1)}X` }), runnerConfig());
    expect(other.metadata?.labels?.[POD_LABELS.task]).not.toBe(pod.metadata?.labels?.[POD_LABELS.task]);
  });

  test.each([
    ['a long run id', 'r'.repeat(80)],
    ['a run id with characters labels refuse', 'run id/with:colons'],
  ])('%s becomes a valid label value', (_, runId) => {
    const pod = buildPod(podLaunch({ runId }), runnerConfig());
    expect(podProblems(pod)).toEqual([]);
    expect(pod.metadata?.annotations?.[POD_ANNOTATIONS.runId]).toBe(runId);
  });

  test('argv is command and args as given, never a shell string, and arrives verbatim after Kubernetes expands $(VAR)', () => {
    const argv = ['sh', '-c', 'echo "$(HOME)" $$ $0 `id`; rm -rf / && x || y > z < w | v * ? ~ \\ \'q\'', '$(HOME)', '$$(HOME)', '$', 'a$', '$(', 'multi\nline', 'ünï €', ''];
    const pod = buildPod(podLaunch({ argv, env: { HOME: '/home/step' } }), runnerConfig());
    const container = main(pod);
    const received = [...(container.command ?? []), ...(container.args ?? [])];
    expect(received).toHaveLength(argv.length);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, kubeletExpand(e.value ?? '', {})]));
    expect(received.map((arg) => kubeletExpand(arg, env))).toEqual(argv);
    expect(container.command).toEqual(['sh']);
  });

  test('env values arrive verbatim too, sorted by name whatever order the launch built them in', () => {
    const env = { ZED: 'z', ALPHA: '$(ZED) and $$', MIDDLE: 'm' };
    const pod = buildPod(podLaunch({ env }), runnerConfig());
    const vars = main(pod).env ?? [];
    expect(vars.map((v) => v.name)).toEqual(['ALPHA', 'MIDDLE', 'ZED']);
    expect(vars.map((v) => kubeletExpand(v.value ?? '', { ZED: 'z' }))).toEqual(['$(ZED) and $$', 'm', 'z']);
    const reordered = buildPod(podLaunch({ env: { MIDDLE: 'm', ZED: 'z', ALPHA: '$(ZED) and $$' } }), runnerConfig());
    expect(reordered).toEqual(pod);
  });

  test('is deterministic: the same launch gives the same pod', () => {
    expect(buildPod(podLaunch(), runnerConfig())).toEqual(buildPod(podLaunch(), runnerConfig()));
  });

  test('an image placeholder is resolved from the task inputs, as KFP does', () => {
    const pod = buildPod(podLaunch({ image: "{{$.inputs.parameters['pipelinechannel--image']}}", inputParameters: { 'pipelinechannel--image': 'ghcr.io/me/step:2' } }), runnerConfig());
    expect(main(pod).image).toBe('ghcr.io/me/step:2');
    expect(issueOf(() => buildPod(podLaunch({ image: "{{$.inputs.parameters['missing']}}" }), runnerConfig()))).toEqual({
      path: 'deploymentSpec.executors.exec-train.container.image',
      message: expect.stringContaining('has no value'),
    });
  });
});

describe('buildPod: storage', () => {
  test('the artifact PVC is mounted at the worker artifact root, so artifact URIs stay paths', () => {
    const pod = buildPod(podLaunch(), runnerConfig({ artifactStore: { claimName: 'team-artifacts', mountPath: ARTIFACTS } }));
    expect(pod.spec?.volumes).toEqual([{ name: 'sluice-artifacts', persistentVolumeClaim: { claimName: 'team-artifacts' } }]);
    expect(main(pod).volumeMounts).toEqual([{ name: 'sluice-artifacts', mountPath: ARTIFACTS }]);
  });

  test('a pipeline workspace is the run PVC at /kfp-workspace, where the launch may write', () => {
    const platform = parseKubernetesPlatform(platformWith({}, { workspace: { size: '1Gi', kubernetes: { pvcSpecPatch: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'] } } } }));
    const pod = buildPod(podLaunch({ platform, writableDirs: [`${ARTIFACTS}/run-1/root/train/outputs`, WORKSPACE_MOUNT_PATH] }), runnerConfig());
    expect(WORKSPACE_MOUNT_PATH).toBe('/kfp-workspace');
    expect(pod.spec?.volumes).toContainEqual({ name: 'kfp-workspace', persistentVolumeClaim: { claimName: workspaceClaimName('run-1') } });
    expect(main(pod).volumeMounts).toContainEqual({ name: 'kfp-workspace', mountPath: '/kfp-workspace' });
    expect(workspaceClaimName('run-1')).toBe('run-1-kfp-workspace');
    expect(workspaceClaimName('R'.repeat(70))).toMatch(/^[a-z0-9-]{1,63}$/);
  });

  test('a launch directory outside the shared volumes is refused: the worker would never see its outputs', () => {
    expect(issueOf(() => buildPod(podLaunch({ workDir: '/elsewhere/launches/1' }), runnerConfig()))).toEqual({ path: 'launch.workDir', message: expect.stringContaining('/elsewhere/launches/1 is outside') });
    expect(issueOf(() => buildPod(podLaunch({ writableDirs: ['/kfp-workspace'] }), runnerConfig())).path).toBe('launch.writableDirs[0]');
    // A sibling directory that merely shares the prefix is outside too.
    expect(issueOf(() => buildPod(podLaunch({ workDir: `${ARTIFACTS}-old/x` }), runnerConfig())).path).toBe('launch.workDir');
  });
});

describe('buildPod: security and the runner config', () => {
  test('least privilege by default', () => {
    const pod = buildPod(podLaunch(), runnerConfig());
    expect(pod.spec?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(main(pod).securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: false });
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
    expect(pod.spec?.enableServiceLinks).toBe(false);
    expect(pod.spec?.serviceAccountName).toBeUndefined();
    expect(main(pod).resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' } });
  });

  test('the config overrides them', () => {
    const config = runnerConfig({
      namespace: 'ml-steps',
      serviceAccountName: 'pipeline-runner',
      automountServiceAccountToken: true,
      imagePullSecrets: ['registry-a'],
      securityContext: { runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000, readOnlyRootFilesystem: true, seccompProfile: 'Unconfined' },
    });
    const pod = buildPod(podLaunch(), config);
    expect(pod.metadata?.namespace).toBe('ml-steps');
    expect(pod.spec).toMatchObject({ serviceAccountName: 'pipeline-runner', automountServiceAccountToken: true, imagePullSecrets: [{ name: 'registry-a' }] });
    expect(pod.spec?.securityContext).toMatchObject({ runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000, seccompProfile: { type: 'Unconfined' } });
    expect(main(pod).securityContext?.readOnlyRootFilesystem).toBe(true);
    // A read-only root still leaves the step scratch space, where lightweight components write their program.
    expect(pod.spec?.volumes).toContainEqual({ name: 'sluice-tmp', emptyDir: {} });
    expect(main(pod).volumeMounts).toContainEqual({ name: 'sluice-tmp', mountPath: '/tmp' });
  });

  test.each([
    ['runAsUser 0 under runAsNonRoot', { securityContext: { runAsUser: 0 } }, 'kubernetes.securityContext.runAsUser'],
    ['a relative artifact mount path', { artifactStore: { mountPath: 'artifacts' } }, 'kubernetes.artifactStore.mountPath'],
    ['a namespace that is no DNS label', { namespace: 'Team_A' }, 'kubernetes.namespace'],
    ['a default request that is no quantity', { defaultResources: { requests: { cpu: 'lots' } } }, 'kubernetes.defaultResources.requests.cpu'],
    ['a GPU resource without a domain', { gpuResourceName: 'gpu' }, 'kubernetes.gpuResourceName'],
    ['an unknown pod retention', { podRetention: 'sometimes' }, 'kubernetes.podRetention'],
    ['an unknown key', { nameSpace: 'x' }, 'kubernetes.nameSpace: unknown field'],
  ])('config: %s is refused, naming the field', (_, overrides, field) => {
    expect(() => runnerConfig(overrides)).toThrow(ConfigError);
    expect(() => runnerConfig(overrides)).toThrow(field);
  });

  test('config defaults', () => {
    expect(runnerConfig()).toEqual({
      namespace: 'default',
      automountServiceAccountToken: false,
      imagePullSecrets: [],
      defaultResources: { requests: { cpu: '100m', memory: '128Mi' }, limits: {} },
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: false, allowPrivilegeEscalation: false, seccompProfile: 'RuntimeDefault' },
      artifactStore: { claimName: 'sluice-artifacts', mountPath: ARTIFACTS },
      gpuResourceName: 'nvidia.com/gpu',
      podRetention: 'keep-failed',
      // ReadWriteMany on the cluster's default StorageClass (claims.ts), as no setting says otherwise.
      workspaceClaim: {},
    });
  });

  test('a launch name that is no DNS label is refused rather than sent', () => {
    expect(issueOf(() => buildPod(podLaunch({ name: 'Run_1' }), runnerConfig())).path).toBe('launch.name');
    expect(issueOf(() => buildPod(podLaunch({ argv: [] }), runnerConfig())).path).toBe('launch.argv');
  });
});
