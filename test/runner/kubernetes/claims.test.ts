/**
 * The claims the runner creates itself: kfp-kubernetes' CreatePVC / DeletePVC steps (inputs as
 * the kfp compiler writes them, semantics as KFP's driver has them) and the run's workspace.
 */
import { claimStepOf, workspaceClaim } from '../../../activities/runners/kubernetes/claims';
import { POD_ANNOTATIONS, POD_LABELS } from '../../../activities/runners/kubernetes/metadata';
import { parseKubernetesPlatform } from '../../../activities/runners/kubernetes/platform-config';
import { workspaceClaimName } from '../../../activities/runners/kubernetes/storage';
import { PodSpecError } from '../../../activities/runners/kubernetes/pod-spec-error';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePipelineDocument } from '../../../ir/parse';
import type { ParameterValue } from '../../../ir/types';
import { KFP_CORPUS } from '../../support/kfp-corpus';
import { saySkipped } from '../../support/say-skipped';
import { issueOf, podLaunch, runnerConfig } from './pod-fixtures';

const createPvc = (inputParameters: Record<string, ParameterValue>, launch = 1) =>
  claimStepOf(podLaunch({ image: 'argostub/createpvc', argv: [], inputParameters, launch, name: `run-1-root-createpvc-${launch}`, taskPath: 'root/createpvc' }), 'steps');

// What pipeline_with_volume_long_name.yaml gives its createpvc task (storage_class_name: its default '' unless set).
const KFP_INPUTS = { access_modes: ['ReadWriteOnce'], pvc_name_suffix: '-my-pvc', size: '1Gi', storage_class_name: 'standard' };

describe('CreatePVC', () => {
  test("a launch becomes a claim with KFP's inputs, named by the launch, linked to its run and task", () => {
    const step = createPvc(KFP_INPUTS);
    expect(step?.kind).toBe('create');
    const claim = step?.kind === 'create' ? step.claim : undefined;
    expect(claim?.metadata?.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-my-pvc$/);
    expect(claim?.metadata?.namespace).toBe('steps');
    expect(claim?.metadata?.labels?.[POD_LABELS.runId]).toBe('run-1');
    expect(claim?.metadata?.annotations?.[POD_ANNOTATIONS.taskPath]).toBe('root/createpvc');
    expect(claim?.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard' });
  });

  test('the generated name is the same for the same launch and differs for the next one (a KFP retry)', () => {
    const name = (launch: number) => {
      const step = createPvc(KFP_INPUTS, launch);
      return step?.kind === 'create' ? step.claim.metadata?.name : undefined;
    };
    expect(name(1)).toBe(name(1));
    expect(name(2)).not.toBe(name(1));
  });

  test('pvc_name is taken as given; volume_name, annotations and data_source reach the claim', () => {
    const step = createPvc({
      access_modes: ['ReadWriteMany', 'ReadOnlyMany'],
      size: '5Gi',
      pvc_name: 'shared-data',
      pvc_name_suffix: null,
      volume_name: 'pv-1',
      storage_class_name: '',
      annotations: { 'example.com/owner': 'ml' },
      data_source: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
    });
    const claim = step?.kind === 'create' ? step.claim : undefined;
    expect(claim?.metadata?.name).toBe('shared-data');
    expect(claim?.metadata?.annotations?.['example.com/owner']).toBe('ml');
    expect(claim?.spec).toEqual({
      accessModes: ['ReadWriteMany', 'ReadOnlyMany'],
      resources: { requests: { storage: '5Gi' } },
      // Empty: a statically provisioned volume, as KFP's driver passes it on.
      storageClassName: '',
      volumeName: 'pv-1',
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
    });
  });

  test("without storage_class_name the claim asks for 'standard', as KFP's driver does", () => {
    const { storage_class_name: _, ...inputs } = KFP_INPUTS;
    const step = createPvc(inputs);
    expect(step?.kind === 'create' && step.claim.spec?.storageClassName).toBe('standard');
  });

  test.each([
    ['both pvc_name and pvc_name_suffix', { pvc_name: 'a', pvc_name_suffix: '-b' }, 'inputs.parameters.pvc_name', /at most one of pvc_name and pvc_name_suffix/],
    ['no access modes', { access_modes: [] }, 'inputs.parameters.access_modes', /is required/],
    ['an unknown access mode', { access_modes: ['ReadWriteSometimes'] }, 'inputs.parameters.access_modes[0]', /is not an access mode/],
    ['a size that is no quantity', { size: 'big' }, 'inputs.parameters.size', /not a Kubernetes quantity/],
    ['a name that is no claim name', { pvc_name_suffix: '_Data' }, 'inputs.parameters.pvc_name_suffix', /is not a PersistentVolumeClaim name/],
    ["an annotation key of Sluice's own", { annotations: { 'sluice.dev/run-id': 'x' } }, 'inputs.parameters.annotations.sluice.dev/run-id', /reserved/],
  ])('%s is refused, naming the input', (_, inputs, path, message) => {
    const issue = issueOf(() => createPvc({ ...KFP_INPUTS, ...inputs }));
    expect(issue.path).toBe(path);
    expect(issue.message).toMatch(message);
  });
});

const LONG_NAME = join(KFP_CORPUS, 'critical', 'pipeline_with_volume_long_name.yaml');

if (!existsSync(LONG_NAME)) saySkipped(`the claim of the corpus's pipeline_with_volume_long_name: ${LONG_NAME} does not exist`);
(existsSync(LONG_NAME) ? test : test.skip)('the createpvc task the kfp SDK compiled (kfp-corpus pipeline_with_volume_long_name) becomes its claim', () => {
  const { spec } = parsePipelineDocument(readFileSync(LONG_NAME, 'utf8'));
  const task = spec.root.dag?.tasks.createpvc;
  const component = spec.components?.[task?.componentRef.name ?? ''];
  // The task's inputs as the workflow resolves them: its constants over the component's defaults.
  const inputs: Record<string, ParameterValue> = {};
  for (const [name, definition] of Object.entries(component?.inputDefinitions?.parameters ?? {})) {
    if (definition.defaultValue !== undefined) inputs[name] = definition.defaultValue;
  }
  for (const [name, input] of Object.entries(task?.inputs?.parameters ?? {})) inputs[name] = (input as { runtimeValue: { constant: ParameterValue } }).runtimeValue.constant;
  const image = spec.deploymentSpec.executors[component?.executorLabel ?? ''].container?.image;
  const step = claimStepOf(podLaunch({ image, argv: [], inputParameters: inputs }), 'steps');
  expect(step?.kind === 'create' && step.claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard' });
  expect(step?.kind === 'create' && step.claim.metadata?.name).toMatch(/-my-pvc$/);
});

describe('DeletePVC', () => {
  const deletePvc = (inputParameters: Record<string, ParameterValue>) => claimStepOf(podLaunch({ image: 'argostub/deletepvc', argv: [], inputParameters }), 'steps');

  test('names the claim to delete', () => {
    expect(deletePvc({ pvc_name: 'shared-data' })).toEqual({ kind: 'delete', claimName: 'shared-data' });
  });

  test('without pvc_name it is refused', () => {
    expect(() => deletePvc({})).toThrow(PodSpecError);
  });

  test('any other launch is a pod', () => {
    expect(claimStepOf(podLaunch(), 'steps')).toBeUndefined();
  });
});

describe('the workspace claim', () => {
  const workspaceOf = (workspace: unknown) => parseKubernetesPlatform({ platforms: { kubernetes: { pipelineConfig: { workspace } } } }).pipelineConfig?.workspace ?? { size: '' };

  test("ReadWriteMany on the cluster's default class unless configured; the pipeline's patch over the defaults; the size wins", () => {
    const defaults = runnerConfig().workspaceClaim;
    expect(workspaceClaim('run-1', 'steps', workspaceOf({ size: '2Gi' }), defaults)).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: workspaceClaimName('run-1'), namespace: 'steps', labels: { [POD_LABELS.managedBy]: 'sluice', [POD_LABELS.runId]: 'run-1' }, annotations: { [POD_ANNOTATIONS.runId]: 'run-1' } },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '2Gi' } } },
    });
    const configured = runnerConfig({ workspaceClaim: { accessModes: ['ReadWriteOnce'], storageClassName: 'nfs', resources: { requests: { 'example.com/iops': '100' } } } }).workspaceClaim;
    const patched = workspaceOf({ size: '5Gi', kubernetes: { pvcSpecPatch: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } } });
    expect(workspaceClaim('run-1', 'steps', patched, configured).spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { 'example.com/iops': '100', storage: '5Gi' } },
    });
  });

  test.each([
    ['an empty storage class', { storageClassName: '' }, 'storageClassName', /must be omitted/],
    ['an unknown field', { storageClass: 'fast' }, 'storageClass', /unknown field/],
    ['an unknown access mode', { accessModes: ['Shared'] }, 'accessModes[0]', /Invalid enum value/],
  ])("%s in the pipeline's pvcSpecPatch is refused with the platform spec", (_, pvcSpecPatch, field, message) => {
    const issue = issueOf(() => workspaceOf({ size: '1Gi', kubernetes: { pvcSpecPatch } }));
    expect(issue.path).toBe(`platforms.kubernetes.pipelineConfig.workspace.kubernetes.pvcSpecPatch.${field}`);
    expect(issue.message).toMatch(message);
  });
});
