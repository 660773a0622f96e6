/**
 * Every executor of every pipeline in the kfp corpus (`critical/`, `essential/`) that has a
 * kfp-kubernetes platform section becomes a well-formed pod. The launch is built from the
 * executor's own container; the DAG scope holds the pipeline's defaults and, for each upstream
 * output a platform setting reads, a made-up name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { buildPod } from '../../../activities/runners/kubernetes/build-pod';
import type { PlatformScope } from '../../../activities/runners/kubernetes/pod-launch';
import { parseKubernetesPlatform } from '../../../activities/runners/kubernetes/platform-config';
import { resolveResources } from '../../../ir/resources';
import { WORKSPACE_MOUNT_PATH } from '../../../activities/runners/kubernetes/storage';
import { parsePipelineDocument } from '../../../ir/parse';
import { isPlainObject } from '../../../ir/records';
import { launchNameFor } from '../../../ir/task-path';
import type { ParameterValue } from '../../../ir/types';
import { KFP_CORPUS } from '../../support/kfp-corpus';
import { saySkipped } from '../../support/say-skipped';
import { ARTIFACTS, main, podLaunch, podProblems, runnerConfig } from './pod-fixtures';

const FOLDERS = ['critical', 'essential'].filter((folder) => existsSync(join(KFP_CORPUS, folder)));
if (FOLDERS.length === 0) saySkipped(`the kfp corpus pod tests: neither ${KFP_CORPUS}/critical nor ${KFP_CORPUS}/essential exists`);

/** Images of kfp-kubernetes' CreatePVC/DeletePVC steps: KFP's backend carries them out itself, they are no pods. */
const KFP_OPERATIONS = ['argostub/createpvc', 'argostub/deletepvc'];

interface Case {
  file: string;
  executor: string;
  pod: () => V1Pod;
}

/** Every `taskOutputParameter` a platform setting reads, given a name-like value. */
function upstreamOutputs(value: unknown, into: PlatformScope['taskOutputs'] = {}): PlatformScope['taskOutputs'] {
  if (Array.isArray(value)) value.forEach((item) => upstreamOutputs(item, into));
  if (!isPlainObject(value)) return into;
  const output = value.taskOutputParameter;
  if (isPlainObject(output) && typeof output.producerTask === 'string' && typeof output.outputParameterKey === 'string') {
    const made = `${output.producerTask}-${output.outputParameterKey}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
    into[output.producerTask] = { ...into[output.producerTask], [output.outputParameterKey]: made };
  }
  Object.values(value).forEach((item) => upstreamOutputs(item, into));
  return into;
}

function casesOf(folder: string, file: string): Case[] {
  const { spec, platformSpec } = parsePipelineDocument(readFileSync(join(KFP_CORPUS, folder, file), 'utf8'));
  if (!isPlainObject(isPlainObject(platformSpec) ? platformSpec.platforms : undefined)) return [];
  const platform = parseKubernetesPlatform(platformSpec);
  const defaults: Record<string, ParameterValue> = {};
  for (const [name, definition] of Object.entries(spec.root.inputDefinitions?.parameters ?? {})) {
    if (definition.defaultValue !== undefined) defaults[name] = definition.defaultValue;
  }
  const scope: PlatformScope = { parameters: defaults, taskOutputs: upstreamOutputs(platformSpec) };
  const runId = '0b7e3c52-4f7a-4d86-9a31-5f0c1d2e3a4b';
  return Object.entries(spec.deploymentSpec.executors).flatMap(([executor, { container }]) => {
    if (!container || KFP_OPERATIONS.includes(container.image)) return [];
    const taskPath = `root/${executor.replace(/^exec-/, '')}`;
    const taskDir = `${ARTIFACTS}/${runId}/${taskPath}`;
    const launch = podLaunch({
      name: launchNameFor(runId, taskPath, 1),
      image: container.image,
      argv: [...(container.command ?? []), ...(container.args ?? [])],
      env: Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value])),
      workDir: `${taskDir}/launches/1`,
      writableDirs: [`${taskDir}/outputs`, ...(platform.pipelineConfig?.workspace ? [WORKSPACE_MOUNT_PATH] : [])],
      runId,
      taskPath,
      executorLabel: executor,
      resources: resolveResources(container.resources, {}, executor),
      platform,
      scope,
    });
    return [{ file: `${folder}/${file}`, executor, pod: () => buildPod(launch, runnerConfig()) }];
  });
}

const cases = FOLDERS.flatMap((folder) => readdirSync(join(KFP_CORPUS, folder)).sort().flatMap((file) => casesOf(folder, file)));

(cases.length ? describe : describe.skip)('kfp corpus pipelines with a kubernetes platform section', () => {
  test.each(cases.map((c) => [c.file, c.executor, c] as const))('%s: %s builds a well-formed pod', (_, __, { pod }) => {
    expect(podProblems(pod())).toEqual([]);
  });

  const podOf = (file: string, executor: string) => cases.find((c) => c.file === `critical/${file}` && c.executor === executor)?.pod();

  test('pipeline_with_secret_as_env: secrets from a DAG input, a constant and a task output', () => {
    const pod = podOf('pipeline_with_secret_as_env.yaml', 'exec-comp');
    if (!pod) return saySkipped('critical/pipeline_with_secret_as_env.yaml is not in the corpus');
    expect(main(pod).env?.filter((v) => v.valueFrom).map((v) => [v.name, v.valueFrom?.secretKeyRef?.name])).toEqual([
      ['USER_NAME', 'test-secret-1'],
      ['PASSWORD_VAR1', 'test-secret-2'],
      ['PASSWORD_VAR2', 'generate-secret-name-some-output'],
    ]);
  });

  test('missing_kubernetes_optional_inputs: settings naming unset inputs configure nothing', () => {
    const pod = podOf('missing_kubernetes_optional_inputs.yaml', 'exec-log-message');
    if (!pod) return saySkipped('critical/missing_kubernetes_optional_inputs.yaml is not in the corpus');
    expect(main(pod).env?.some((v) => v.valueFrom)).toBe(false);
    expect(pod.spec?.volumes?.map((v) => v.name)).toEqual(['sluice-artifacts']);
    expect(pod.spec).not.toHaveProperty('tolerations');
  });

  test('pipeline_with_pod_metadata: labels and annotations reach the pod', () => {
    const pod = podOf('pipeline_with_pod_metadata.yaml', 'exec-validate-pod-metadata-task-b');
    if (!pod) return saySkipped('critical/pipeline_with_pod_metadata.yaml is not in the corpus');
    expect(pod.metadata?.labels).toMatchObject({ 'task-label-1': 'label-1', 'task-label-3': 'label-3' });
    expect(pod.metadata?.annotations).toMatchObject({ 'task-annotation-4': 'annotation-4' });
  });

  test('pipeline_with_workspace: every pod mounts the workspace', () => {
    const workspaceCases = cases.filter((c) => c.file === 'critical/pipeline_with_workspace.yaml');
    if (!workspaceCases.length) return saySkipped('critical/pipeline_with_workspace.yaml is not in the corpus');
    for (const { pod } of workspaceCases) expect(main(pod()).volumeMounts).toContainEqual({ name: 'kfp-workspace', mountPath: '/kfp-workspace' });
  });
});
