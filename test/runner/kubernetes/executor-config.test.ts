/**
 * kfp-kubernetes' executor settings on the pod, one table row per form the kfp compiler writes
 * (fixtures shaped like `test_data/sdk_compiled_pipelines`), then one row per refusal, each
 * naming its field.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { buildPod } from '../../../activities/runners/kubernetes/build-pod';
import type { PlatformScope } from '../../../activities/runners/kubernetes/pod-launch';
import { parseKubernetesPlatform } from '../../../activities/runners/kubernetes/platform-config';
import { EXEC_PATH, issueOf, launchWith, main, platformWith, podLaunch, podProblems, runnerConfig } from './pod-fixtures';

const scope: PlatformScope = {
  parameters: { secret_parm: 'test-secret-1', pvc_name: 'shared-data', selector: { disktype: 'ssd' }, tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, { key: 'spot', operator: 'Equal', value: 'true' }], unset: null },
  taskOutputs: { 'generate-secret-name': { some_output: 'test-secret-3' }, createpvc: { name: 'pvc-from-task' } },
  run: {
    pipelineJobName: 'my run',
    pipelineJobResourceName: 'my-pipeline-abcde',
    pipelineJobUuid: 'run-1',
    pipelineTaskName: 'train',
    pipelineTaskUuid: 'task-1',
    pipelineRoot: '/var/lib/sluice/artifacts',
    pipelineJobCreateTimeUtc: '2025-01-01T00:00:00Z',
    pipelineJobScheduleTimeUtc: '2025-01-01T00:00:00Z',
  },
};

const build = (executorConfig: unknown) => buildPod(launchWith(executorConfig, { scope }), runnerConfig());
const mounts = (pod: V1Pod) => main(pod).volumeMounts?.slice(1);
const volumes = (pod: V1Pod) => pod.spec?.volumes?.slice(1);
const platformEnv = (pod: V1Pod) => main(pod).env?.filter((v) => v.valueFrom);

describe('kfp-kubernetes executor settings on the pod', () => {
  const cases: [string, unknown, (pod: V1Pod) => void][] = [
    [
      'secretAsEnv: the deprecated literal name',
      { secretAsEnv: [{ secretName: 'creds', keyToEnv: [{ secretKey: 'password', envVar: 'PASSWORD' }] }] },
      (pod) => expect(platformEnv(pod)).toEqual([{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }]),
    ],
    [
      'secretAsEnv: a DAG input, a constant beside its deprecated twin, a task output (pipeline_with_secret_as_env)',
      {
        secretAsEnv: [
          { keyToEnv: [{ envVar: 'USER_NAME', secretKey: 'username' }], optional: false, secretNameParameter: { componentInputParameter: 'secret_parm' } },
          { keyToEnv: [{ envVar: 'PASSWORD_VAR1', secretKey: 'password' }], optional: false, secretName: 'ignored-literal', secretNameParameter: { runtimeValue: { constant: 'test-secret-2' } } },
          { keyToEnv: [{ envVar: 'PASSWORD_VAR2', secretKey: 'password' }], optional: true, secretNameParameter: { taskOutputParameter: { outputParameterKey: 'some_output', producerTask: 'generate-secret-name' } } },
        ],
      },
      (pod) =>
        expect(platformEnv(pod)).toEqual([
          { name: 'USER_NAME', valueFrom: { secretKeyRef: { name: 'test-secret-1', key: 'username', optional: false } } },
          { name: 'PASSWORD_VAR1', valueFrom: { secretKeyRef: { name: 'test-secret-2', key: 'password', optional: false } } },
          { name: 'PASSWORD_VAR2', valueFrom: { secretKeyRef: { name: 'test-secret-3', key: 'password', optional: true } } },
        ]),
    ],
    [
      'secretAsEnv: a name constant with a run placeholder',
      { secretAsEnv: [{ secretNameParameter: { runtimeValue: { constant: '{{$.pipeline_job_uuid}}-creds' } }, keyToEnv: [{ secretKey: 'k', envVar: 'K' }] }] },
      (pod) => expect(platformEnv(pod)?.[0].valueFrom?.secretKeyRef?.name).toBe('run-1-creds'),
    ],
    [
      'settings whose name is a DAG input left unset configure nothing (missing_kubernetes_optional_inputs)',
      {
        secretAsEnv: [{ keyToEnv: [{ envVar: 'PASSWORD', secretKey: 'password' }], optional: true, secretNameParameter: { componentInputParameter: 'unset' } }],
        secretAsVolume: [{ mountPath: '/mnt/secret', optional: true, secretNameParameter: { componentInputParameter: 'never_declared' } }],
        configMapAsEnv: [{ configMapNameParameter: { componentInputParameter: 'unset' }, keyToEnv: [{ configMapKey: 'setting', envVar: 'SETTING' }], optional: true }],
        configMapAsVolume: [{ configMapNameParameter: { componentInputParameter: 'unset' }, mountPath: '/mnt/config', optional: true }],
        imagePullSecret: [{ secretNameParameter: { componentInputParameter: 'unset' } }],
        nodeAffinity: [{ nodeAffinityJson: { componentInputParameter: 'unset' } }],
        nodeSelector: { nodeSelectorJson: { componentInputParameter: 'unset' } },
        tolerations: [{ tolerationJson: { componentInputParameter: 'unset' } }],
      },
      (pod) => {
        expect(platformEnv(pod)).toEqual([]);
        expect(volumes(pod)).toEqual([]);
        expect(pod.spec).not.toHaveProperty('imagePullSecrets');
        expect(pod.spec).not.toHaveProperty('affinity');
        expect(pod.spec).not.toHaveProperty('nodeSelector');
        expect(pod.spec).not.toHaveProperty('tolerations');
      },
    ],
    [
      'secretAsVolume: optional defaults to false, as in KFP',
      { secretAsVolume: [{ mountPath: '/mnt/my_vol', secretNameParameter: { componentInputParameter: 'secret_parm' } }, { secretName: 'tls.example.com', mountPath: '/mnt/tls', optional: true }] },
      (pod) => {
        expect(volumes(pod)).toEqual([
          { name: 'test-secret-1', secret: { secretName: 'test-secret-1', optional: false } },
          { name: expect.stringMatching(/^tls-example-com-[0-9a-f]{10}$/), secret: { secretName: 'tls.example.com', optional: true } },
        ]);
        expect(mounts(pod)?.map((m) => m.mountPath)).toEqual(['/mnt/my_vol', '/mnt/tls']);
      },
    ],
    [
      'configMapAsEnv and configMapAsVolume',
      {
        configMapAsEnv: [{ configMapName: 'settings', keyToEnv: [{ configMapKey: 'level', envVar: 'LEVEL' }], optional: true }],
        configMapAsVolume: [{ configMapNameParameter: { runtimeValue: { constant: 'settings' } }, mountPath: '/etc/settings' }],
      },
      (pod) => {
        expect(platformEnv(pod)).toEqual([{ name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level', optional: true } } }]);
        expect(volumes(pod)).toEqual([{ name: 'settings', configMap: { name: 'settings', optional: false } }]);
        expect(mounts(pod)).toEqual([{ name: 'settings', mountPath: '/etc/settings' }]);
      },
    ],
    [
      'pvcMount: every name form, a subPath, and one PVC at two paths as one volume',
      {
        pvcMount: [
          { componentInputParameter: 'pvc_name', mountPath: '/data', pvcNameParameter: { componentInputParameter: 'pvc_name' } },
          { mountPath: '/from-task', taskOutputParameter: { outputParameterKey: 'name', producerTask: 'createpvc' } },
          { constant: 'fixed-pvc', mountPath: '/fixed' },
          { componentInputParameter: 'pvc_name', mountPath: '/data-sub', subPath: 'part/one' },
          { pvcNameParameter: { runtimeValue: { constant: 'here-is-a-pipeline-very-long-name-0123456789abcdef-0123456789abcdef-my-pvc' } }, mountPath: '/long' },
        ],
      },
      (pod) => {
        expect(volumes(pod)).toEqual([
          { name: 'shared-data', persistentVolumeClaim: { claimName: 'shared-data' } },
          { name: 'pvc-from-task', persistentVolumeClaim: { claimName: 'pvc-from-task' } },
          { name: 'fixed-pvc', persistentVolumeClaim: { claimName: 'fixed-pvc' } },
          { name: expect.stringMatching(/^here-is-a-pipeline-very-long-name-[a-z0-9-]{1,18}-[0-9a-f]{10}$/), persistentVolumeClaim: { claimName: 'here-is-a-pipeline-very-long-name-0123456789abcdef-0123456789abcdef-my-pvc' } },
        ]);
        expect(mounts(pod)?.slice(0, 4)).toEqual([
          { name: 'shared-data', mountPath: '/data' },
          { name: 'pvc-from-task', mountPath: '/from-task' },
          { name: 'fixed-pvc', mountPath: '/fixed' },
          { name: 'shared-data', mountPath: '/data-sub', subPath: 'part/one' },
        ]);
      },
    ],
    [
      'nodeSelector: labels',
      { nodeSelector: { labels: { 'kubernetes.io/arch': 'amd64', disktype: 'ssd' } } },
      (pod) => expect(pod.spec?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64', disktype: 'ssd' }),
    ],
    [
      'nodeSelector: the JSON takes precedence over labels',
      { nodeSelector: { labels: { zone: 'a' }, nodeSelectorJson: { componentInputParameter: 'selector' } } },
      (pod) => expect(pod.spec?.nodeSelector).toEqual({ disktype: 'ssd' }),
    ],
    [
      'tolerations: literal, with seconds as int64 text, and JSON holding one or a list',
      {
        tolerations: [
          { effect: 'NoSchedule', key: 'nvidia.com/gpu', operator: 'Exists' },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: '10' },
          { tolerationJson: { runtimeValue: { constant: { key: 'team', operator: 'Equal', value: 'ml', effect: 'NoSchedule' } } } },
          { tolerationJson: { componentInputParameter: 'tolerations' } },
        ],
      },
      (pod) =>
        expect(pod.spec?.tolerations).toEqual([
          { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
          { key: 'team', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
          { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'spot', operator: 'Equal', value: 'true' },
        ]),
    ],
    [
      'nodeAffinity: terms without weight are required, with weight preferred, and JSON adds to both',
      {
        nodeAffinity: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
          { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] }], weight: 50.0 },
          {
            nodeAffinityJson: {
              runtimeValue: {
                constant: {
                  requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }] },
                  preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] } }],
                },
              },
            },
          },
        ],
      },
      (pod) =>
        expect(pod.spec?.affinity).toEqual({
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }],
            },
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 50, preference: { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] }] } },
              { weight: 100, preference: { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] } },
            ],
          },
        }),
    ],
    [
      'podAffinity: affinity and anti-affinity, required and preferred',
      {
        podAffinity: [
          { matchPodLabels: { app: 'cache' }, topologyKey: 'kubernetes.io/hostname' },
          { matchPodExpressions: [{ key: 'app', operator: 'In', values: ['train'] }], topologyKey: 'topology.kubernetes.io/zone', weight: 10, anti: true, namespaces: ['ml'], matchNamespaceLabels: { team: 'ml' } },
        ],
      },
      (pod) =>
        expect(pod.spec?.affinity).toEqual({
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'cache' } } }] },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 10,
                podAffinityTerm: {
                  topologyKey: 'topology.kubernetes.io/zone',
                  labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['train'] }] },
                  namespaces: ['ml'],
                  namespaceSelector: { matchLabels: { team: 'ml' } },
                },
              },
            ],
          },
        }),
    ],
    [
      'podMetadata and fieldPathAsEnv (pipeline_with_pod_metadata)',
      {
        fieldPathAsEnv: [
          { fieldPath: "metadata.annotations['task-annotation']", name: 'POD_TASK_ANNOTATION' },
          { fieldPath: "metadata.labels['task-label-1']", name: 'POD_TASK_LABEL_1' },
          { fieldPath: 'status.podIP', name: 'POD_IP' },
        ],
        podMetadata: { annotations: { 'task-annotation': 'annotation' }, labels: { 'task-label-1': 'label-1', 'task-label-2': 'label-2' } },
      },
      (pod) => {
        expect(pod.metadata?.labels).toMatchObject({ 'task-label-1': 'label-1', 'task-label-2': 'label-2', 'app.kubernetes.io/managed-by': 'sluice' });
        expect(pod.metadata?.annotations).toMatchObject({ 'task-annotation': 'annotation', 'sluice.dev/task-path': 'root/train' });
        expect(platformEnv(pod)).toEqual([
          { name: 'POD_TASK_ANNOTATION', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['task-annotation']" } } },
          { name: 'POD_TASK_LABEL_1', valueFrom: { fieldRef: { fieldPath: "metadata.labels['task-label-1']" } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ]);
      },
    ],
    [
      'imagePullSecret after the runner config ones, without repeats, and imagePullPolicy',
      { imagePullSecret: [{ secretName: 'registry-b' }, { secretNameParameter: { runtimeValue: { constant: 'registry-a' } } }], imagePullPolicy: 'Always' },
      (pod) => {
        expect(pod.spec?.imagePullSecrets).toEqual([{ name: 'registry-b' }, { name: 'registry-a' }]);
        expect(main(pod).imagePullPolicy).toBe('Always');
      },
    ],
    ['activeDeadlineSeconds as int64 text', { activeDeadlineSeconds: '20' }, (pod) => expect(pod.spec?.activeDeadlineSeconds).toBe(20)],
    ['activeDeadlineSeconds 0 means none, as set_timeout(task, 0) writes it', { activeDeadlineSeconds: 0 }, (pod) => expect(pod.spec).not.toHaveProperty('activeDeadlineSeconds')],
    [
      'emptyDirMounts, enabledSharedMemory and genericEphemeralVolume',
      {
        emptyDirMounts: [{ volumeName: 'scratch', mountPath: '/scratch', medium: 'Memory', sizeLimit: '1Gi' }, { volumeName: 'plain', mountPath: '/plain' }],
        enabledSharedMemory: { size: '2Gi' },
        genericEphemeralVolume: [
          { volumeName: 'eph', mountPath: '/eph', accessModes: ['ReadWriteOnce'], size: '5Gi', defaultStorageClass: true },
          { volumeName: 'eph-fast', mountPath: '/eph-fast', accessModes: ['ReadWriteOnce'], size: '1Gi', storageClassName: 'fast', metadata: { labels: { tier: 'fast' }, annotations: { note: 'x' } } },
        ],
      },
      (pod) => {
        expect(volumes(pod)).toEqual([
          { name: 'eph', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } } } },
          {
            name: 'eph-fast',
            ephemeral: {
              volumeClaimTemplate: {
                metadata: { labels: { tier: 'fast' }, annotations: { note: 'x' } },
                spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' },
              },
            },
          },
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
          { name: 'plain', emptyDir: {} },
          { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } },
        ]);
        expect(mounts(pod)?.map((m) => `${m.name}:${m.mountPath}`)).toEqual(['eph:/eph', 'eph-fast:/eph-fast', 'scratch:/scratch', 'plain:/plain', 'shm:/dev/shm']);
      },
    ],
    [
      'securityContext gives the step an identity on top of the hardened defaults',
      { securityContext: { runAsUser: '65534', runAsGroup: '65534', runAsNonRoot: true } },
      (pod) => expect(main(pod).securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: false, runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true }),
    ],
    [
      'initContainers: hardened, verbatim, mounting the pod volumes by name, a sidecar with restartPolicy Always',
      {
        pvcMount: [{ constant: 'shared-data', mountPath: '/data' }],
        emptyDirMounts: [{ volumeName: 'scratch', mountPath: '/scratch' }],
        initContainers: [
          {
            name: 'fetch',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            args: ['cp -r /data/$(SRC) /scratch'],
            env: [{ name: 'SRC', value: 'x' }],
            volumeMounts: [{ volumeName: 'shared-data', mountPath: '/data' }, { volumeName: 'scratch', mountPath: '/scratch' }],
            resources: { requests: { cpu: '50m' }, limits: { memory: '64Mi' } },
          },
          { name: 'proxy', image: 'envoy:v1', restartPolicy: 'Always' },
        ],
      },
      (pod) => {
        const hardened = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: false };
        expect(pod.spec?.initContainers).toEqual([
          {
            name: 'fetch',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            args: ['cp -r /data/$$(SRC) /scratch'],
            env: [{ name: 'SRC', value: 'x' }],
            volumeMounts: [{ name: 'shared-data', mountPath: '/data' }, { name: 'scratch', mountPath: '/scratch' }],
            resources: { requests: { cpu: '50m' }, limits: { memory: '64Mi' } },
            securityContext: hardened,
          },
          { name: 'proxy', image: 'envoy:v1', restartPolicy: 'Always', securityContext: hardened },
        ]);
      },
    ],
  ];

  test.each(cases)('%s', (_, executorConfig, check) => {
    const pod = build(executorConfig);
    check(pod);
    expect(podProblems(pod)).toEqual([]);
  });

  test('an executor without kfp-kubernetes settings gets only what the runner adds', () => {
    const pod = buildPod(launchWith({ podMetadata: { labels: { a: 'b' } } }, { executorLabel: 'exec-other' }), runnerConfig());
    expect(pod).toEqual(buildPod(podLaunch({ executorLabel: 'exec-other' }), runnerConfig()));
  });
});

describe('kfp-kubernetes settings refused, naming the field', () => {
  const P = EXEC_PATH;
  const cases: [string, unknown, string, RegExp][] = [
    ['an unknown field', { secretAsEnvs: [] }, `${P}.secretAsEnvs`, /unknown field/],
    ['a snake_case field', { secret_as_env: [] }, `${P}.secret_as_env`, /camelCase/],
    ['an unknown nested field', { secretAsEnv: [{ secretName: 's', keyToEnv: [{ secretKey: 'k', secret_key: 'k', envVar: 'E' }] }] }, `${P}.secretAsEnv[0].keyToEnv[0].secret_key`, /unknown field/],
    ['a name given nowhere', { secretAsEnv: [{ keyToEnv: [] }] }, `${P}.secretAsEnv[0].secretNameParameter`, /is required \(or the deprecated secretName\)/],
    ['a parameter of two kinds', { secretAsVolume: [{ mountPath: '/s', secretNameParameter: { componentInputParameter: 'a', runtimeValue: { constant: 'b' } } }] }, `${P}.secretAsVolume[0].secretNameParameter`, /exactly one of/],
    ['a parameter from a task final status', { imagePullSecret: [{ secretNameParameter: { taskFinalStatus: { producerTask: 't' } } }] }, `${P}.imagePullSecret[0].secretNameParameter.taskFinalStatus`, /not supported here/],
    ['a secret name that is no object name', { secretAsEnv: [{ secretName: 'My_Secret', keyToEnv: [] }] }, `${P}.secretAsEnv[0].secretName`, /is not a Secret name/],
    ['a secret name parameter that is no string', { secretAsVolume: [{ mountPath: '/s', secretNameParameter: { componentInputParameter: 'selector' } }] }, `${P}.secretAsVolume[0].secretNameParameter`, /is not a Secret name/],
    ['a task output that was not produced', { configMapAsEnv: [{ configMapNameParameter: { taskOutputParameter: { producerTask: 'createpvc', outputParameterKey: 'nope' } }, keyToEnv: [] }] }, `${P}.configMapAsEnv[0].configMapNameParameter.taskOutputParameter`, /has no output parameter nope/],
    ['an empty constant', { configMapAsVolume: [{ mountPath: '/c', configMapNameParameter: { runtimeValue: {} } }] }, `${P}.configMapAsVolume[0].configMapNameParameter.runtimeValue.constant`, /is empty/],
    ['a PVC whose name is a DAG input left unset', { pvcMount: [{ mountPath: '/d', pvcNameParameter: { componentInputParameter: 'unset' } }] }, `${P}.pvcMount[0].pvcNameParameter`, /needs a claim/],
    ['a PVC mount without a name', { pvcMount: [{ mountPath: '/d' }] }, `${P}.pvcMount[0].pvcNameParameter`, /is required/],
    ['a bad quantity', { emptyDirMounts: [{ volumeName: 'e', mountPath: '/e', sizeLimit: '1 GB' }] }, `${P}.emptyDirMounts[0].sizeLimit`, /not a Kubernetes quantity/],
    ['a negative quantity', { genericEphemeralVolume: [{ volumeName: 'e', mountPath: '/e', accessModes: ['ReadWriteOnce'], size: '-1Gi' }] }, `${P}.genericEphemeralVolume[0].size`, /negative/],
    ['a bad access mode', { genericEphemeralVolume: [{ volumeName: 'e', mountPath: '/e', accessModes: ['ReadWriteSometimes'], size: '1Gi' }] }, `${P}.genericEphemeralVolume[0].accessModes[0]`, /ReadWriteOnce/],
    ['a bad emptyDir medium', { emptyDirMounts: [{ volumeName: 'e', mountPath: '/e', medium: 'Disk' }] }, `${P}.emptyDirMounts[0].medium`, /Memory/],
    ['a bad toleration operator', { tolerations: [{ key: 'k', operator: 'Equals', value: 'v' }] }, `${P}.tolerations[0].operator`, /'Equals' is not a toleration operator/],
    ['a bad taint effect', { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoRun' }] }, `${P}.tolerations[0].effect`, /not a taint effect/],
    ['an Exists toleration with a value', { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }, `${P}.tolerations[0].value`, /must be empty/],
    ['tolerationSeconds without NoExecute', { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }] }, `${P}.tolerations[0].tolerationSeconds`, /NoExecute/],
    ['a toleration JSON list with a bad item', { tolerations: [{ tolerationJson: { runtimeValue: { constant: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists', effect: 'Never' }] } } }] }, `${P}.tolerations[0].tolerationJson[1].effect`, /not a taint effect/],
    ['a toleration JSON with an unknown field', { tolerations: [{ tolerationJson: { runtimeValue: { constant: { key: 'a', operatr: 'Exists' } } } }] }, `${P}.tolerations[0].tolerationJson.operatr`, /not a field of a Kubernetes Toleration/],
    ['a node selector JSON that is no map of strings', { nodeSelector: { nodeSelectorJson: { componentInputParameter: 'tolerations' } } }, `${P}.nodeSelector.nodeSelectorJson`, /object/i],
    ['a node selector label value too long', { nodeSelector: { labels: { zone: 'z'.repeat(64) } } }, `${P}.nodeSelector.labels.zone`, /not a label value/],
    ['a bad node affinity operator', { nodeAffinity: [{ matchExpressions: [{ key: 'zone', operator: 'Within', values: ['a'] }] }] }, `${P}.nodeAffinity[0].matchExpressions[0].operator`, /'Within' is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt/],
    ['In without values', { nodeAffinity: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] }, `${P}.nodeAffinity[0].matchExpressions[0].values`, /must not be empty/],
    ['Gt with a word', { nodeAffinity: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['many'] }] }] }, `${P}.nodeAffinity[0].matchExpressions[0].values`, /single integer/],
    ['an empty node affinity term', { nodeAffinity: [{ weight: 5 }] }, `${P}.nodeAffinity[0]`, /selects nothing|select nothing/],
    ['a weight out of range', { nodeAffinity: [{ matchExpressions: [{ key: 'z', operator: 'Exists' }], weight: 0 }] }, `${P}.nodeAffinity[0].weight`, /1/],
    ['a node affinity JSON term with a bad operator', { nodeAffinity: [{ nodeAffinityJson: { runtimeValue: { constant: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Near' }] }] } } } } }] }, `${P}.nodeAffinity[0].nodeAffinityJson.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator`, /'Near'/],
    ['a pod affinity without topologyKey', { podAffinity: [{ matchPodLabels: { app: 'x' } }] }, `${P}.podAffinity[0].topologyKey`, /required/i],
    ['a pod affinity with a node-only operator', { podAffinity: [{ topologyKey: 'k', matchPodExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }] }, `${P}.podAffinity[0].matchPodExpressions[0].operator`, /'Gt' is not one of In, NotIn, Exists, DoesNotExist/],
    ['a reserved pod label', { podMetadata: { labels: { 'sluice.dev/run-id': 'other' } } }, `${P}.podMetadata.labels.sluice.dev/run-id`, /reserved/],
    ['a pod label value with spaces', { podMetadata: { labels: { team: 'machine learning' } } }, `${P}.podMetadata.labels.team`, /not a label value/],
    ['an annotation key that is no key', { podMetadata: { annotations: { 'bad key': 'v' } } }, `${P}.podMetadata.annotations.bad key`, /not a key/],
    ['a field path the downward API lacks', { fieldPathAsEnv: [{ name: 'X', fieldPath: 'spec.containers[0].image' }] }, `${P}.fieldPathAsEnv[0].fieldPath`, /not a pod field/],
    ['an env var name that is none', { fieldPathAsEnv: [{ name: '1X', fieldPath: 'metadata.name' }] }, `${P}.fieldPathAsEnv[0].name`, /not an environment variable name/],
    ['an env var the launch sets already', { secretAsEnv: [{ secretName: 's', keyToEnv: [{ secretKey: 'k', envVar: 'PYTHONPATH' }] }] }, `${P}.secretAsEnv[0].keyToEnv[0].envVar`, /PYTHONPATH is already set \(the launch's environment/],
    ['an env var set twice by the platform', { secretAsEnv: [{ secretName: 's', keyToEnv: [{ secretKey: 'k', envVar: 'X' }] }], fieldPathAsEnv: [{ name: 'X', fieldPath: 'metadata.name' }] }, `${P}.fieldPathAsEnv[0].name`, /X is already set \(.*secretAsEnv\[0\]\.keyToEnv\[0\]\.envVar\)/],
    ['an unknown image pull policy', { imagePullPolicy: 'Sometimes' }, `${P}.imagePullPolicy`, /Always/],
    ['a negative deadline', { activeDeadlineSeconds: '-1' }, `${P}.activeDeadlineSeconds`, /0/],
    ['a deadline that is no integer', { activeDeadlineSeconds: '1h' }, `${P}.activeDeadlineSeconds`, /integer/],
    ['a volume name collision', { emptyDirMounts: [{ volumeName: 'scratch', mountPath: '/a' }, { volumeName: 'scratch', mountPath: '/b', medium: 'Memory' }] }, `${P}.emptyDirMounts[1].volumeName`, /volume name collision: 'scratch'.*emptyDirMounts\[0\]/],
    ['a Secret and a ConfigMap of one name', { secretAsVolume: [{ secretName: 'app', mountPath: '/s' }], configMapAsVolume: [{ configMapName: 'app', mountPath: '/c' }] }, `${P}.configMapAsVolume[0]`, /volume name collision: 'app'/],
    ['a volume named like Sluice own', { emptyDirMounts: [{ volumeName: 'sluice-artifacts', mountPath: '/x' }] }, `${P}.emptyDirMounts[0].volumeName`, /volume name collision.*kubernetes\.artifactStore/],
    ['a volume name that is no DNS label', { emptyDirMounts: [{ volumeName: 'Scratch_1', mountPath: '/x' }] }, `${P}.emptyDirMounts[0].volumeName`, /not a DNS-1123 label/],
    ['a mountPath collision', { pvcMount: [{ constant: 'data', mountPath: '/data' }], secretAsVolume: [{ secretName: 's', mountPath: '/data/' }] }, `${P}.secretAsVolume[0].mountPath`, /mountPath collision: \/data\/ is already mounted \(.*pvcMount\[0\]\.mountPath\)/],
    ['a mount inside the artifact store', { emptyDirMounts: [{ volumeName: 'e', mountPath: '/var/lib/sluice/artifacts/run-1' }] }, `${P}.emptyDirMounts[0].mountPath`, /inside \/var\/lib\/sluice\/artifacts, where the artifact store is mounted/],
    ['a relative mountPath', { configMapAsVolume: [{ configMapName: 'c', mountPath: 'etc/c' }] }, `${P}.configMapAsVolume[0].mountPath`, /absolute path/],
    ['a mountPath with ..', { configMapAsVolume: [{ configMapName: 'c', mountPath: '/etc/../c' }] }, `${P}.configMapAsVolume[0].mountPath`, /'\.\.'/],
    ['a subPath leaving the volume', { pvcMount: [{ constant: 'd', mountPath: '/d', subPath: '../other' }] }, `${P}.pvcMount[0].mountPath`, /subPath '..\/other'/],
    ['shared memory named like another volume', { emptyDirMounts: [{ volumeName: 'shm', mountPath: '/x' }], enabledSharedMemory: { size: '1Gi' } }, `${P}.enabledSharedMemory`, /volume name collision: 'shm'/],
    ['runAsNonRoot false under a non-root policy', { securityContext: { runAsNonRoot: false } }, `${P}.securityContext.runAsNonRoot`, /refused/],
    ['root under a non-root policy', { securityContext: { runAsUser: '0' } }, `${P}.securityContext.runAsUser`, /root \(0\) is refused/],
    ['an init container named main', { initContainers: [{ name: 'main', image: 'busybox' }] }, `${P}.initContainers[0].name`, /already the name/],
    ['an init container mounting a volume the pod lacks', { initContainers: [{ name: 'i', image: 'busybox', volumeMounts: [{ volumeName: 'nope', mountPath: '/n' }] }] }, `${P}.initContainers[0].volumeMounts[0].volumeName`, /no volume 'nope'/],
    ['an init container restart policy other than Always', { initContainers: [{ name: 'i', image: 'busybox', restartPolicy: 'OnFailure' }] }, `${P}.initContainers[0].restartPolicy`, /Always/],
    ['an init container without image', { initContainers: [{ name: 'i', image: '' }] }, `${P}.initContainers[0].image`, /required/],
  ];

  test.each(cases)('%s', (_, executorConfig, path, message) => {
    const issue = issueOf(() => build(executorConfig));
    expect(issue.path).toBe(path);
    expect(issue.message).toMatch(message);
  });

  test('a parse reports every problem at once', () => {
    expect.assertions(1);
    try {
      parseKubernetesPlatform(platformWith({ imagePullPolicy: 'Sometimes', tolerations: 'x', nodeSelectr: {} }));
    } catch (error) {
      expect((error as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual([`${P}.imagePullPolicy`, `${P}.nodeSelectr`, `${P}.tolerations`]);
    }
  });

  test('root is allowed where the runner config allows it', () => {
    const pod = buildPod(launchWith({ securityContext: { runAsUser: 0, runAsNonRoot: false } }), runnerConfig({ securityContext: { runAsNonRoot: false } }));
    expect(main(pod).securityContext).toMatchObject({ runAsUser: 0, runAsNonRoot: false });
  });

  test('a mount inside the workspace is refused when the run has one', () => {
    const platform = parseKubernetesPlatform(platformWith({ emptyDirMounts: [{ volumeName: 'e', mountPath: '/kfp-workspace/cache' }] }, { workspace: { size: '1Gi' } }));
    expect(issueOf(() => buildPod(podLaunch({ platform }), runnerConfig())).message).toMatch(/inside \/kfp-workspace, where the pipeline workspace is mounted/);
  });

  test.each([
    ['an unknown pipelineConfig field', { pipelineConfig: { workspaces: {} } }, 'platforms.kubernetes.pipelineConfig.workspaces'],
    ['a workspace size that is no quantity', { pipelineConfig: { workspace: { size: 'big' } } }, 'platforms.kubernetes.pipelineConfig.workspace.size'],
    ['an unknown platform field', { deploymentSpecs: {} }, 'platforms.kubernetes.deploymentSpecs'],
  ])('the platform section: %s', (_, section, path) => {
    expect(issueOf(() => parseKubernetesPlatform({ platforms: { kubernetes: section } })).path).toBe(path);
  });
});
