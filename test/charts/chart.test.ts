import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/config';
import { saySkipped } from '../support/say-skipped';
import { CHART, ROOT, VALUES_ALL, findHelm, one, render, runHelm, templateArgs, type K8sObject } from './helm';

const { helm, reason } = findHelm();
if (!helm) saySkipped(`charts/sluice tests: ${reason}`);
const describeHelm = helm ? describe : describe.skip;

/** The variables config/config.ts reads (its ENV_KEYS), so a ConfigMap key with a typo shows. */
function configEnvNames(): string[] {
  const source = readFileSync(join(ROOT, 'config', 'config.ts'), 'utf8');
  const block = /const ENV_KEYS[^{]*\{([\s\S]*?)\n\};/.exec(source)?.[1];
  if (!block) throw new Error('cannot find ENV_KEYS in config/config.ts; update this test');
  return [...block.matchAll(/^\s*([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
}

/** Read by config/temporal-tls.ts (the API and the worker) and the worker probe. */
const TLS_ENV = ['TEMPORAL_TLS', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_NAME'];

/** The worker's activity shutdown grace in seconds, from worker/create-worker.ts. */
function workerShutdownGraceSeconds(): number {
  const source = readFileSync(join(ROOT, 'worker', 'create-worker.ts'), 'utf8');
  const match = /shutdownGraceTime:\s*'(\d+)s'/.exec(source);
  if (!match) throw new Error("cannot find shutdownGraceTime: '<n>s' in worker/create-worker.ts; update this test");
  return Number(match[1]);
}

const podSpec = (deployment: K8sObject) => deployment.spec.template.spec;
const container = (deployment: K8sObject) => {
  expect(podSpec(deployment).containers).toHaveLength(1);
  return podSpec(deployment).containers[0];
};
const volume = (deployment: K8sObject, name: string) => podSpec(deployment).volumes.find((v: { name: string }) => v.name === name);
const mount = (deployment: K8sObject, name: string) => container(deployment).volumeMounts.find((m: { name: string }) => m.name === name);
const envVar = (deployment: K8sObject, name: string) => container(deployment).env.find((e: { name: string }) => e.name === name);

describeHelm('charts/sluice', () => {
  const h = helm as string;

  test('helm lint passes with the default values and with every option on', () => {
    for (const args of [[], ['--values', VALUES_ALL]]) {
      const res = runHelm(h, ['lint', '--strict', CHART, ...args]);
      expect({ status: res.status, out: res.stdout + res.stderr }).toEqual({ status: 0, out: expect.stringContaining('0 chart(s) failed') });
    }
  });

  describe('with the default values', () => {
    let objects: K8sObject[];
    let api: K8sObject;
    let worker: K8sObject;
    let config: Record<string, string>;
    beforeAll(() => {
      objects = render(h);
      api = one(objects, 'Deployment', '-api');
      worker = one(objects, 'Deployment', '-worker');
      config = one(objects, 'ConfigMap', '-config').data;
    });

    test('renders the API, the worker, their identities, the runner Role, configuration and storage, in the release namespace', () => {
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'ConfigMap/rel-sluice-config',
        'ConfigMap/rel-sluice-probes',
        'Deployment/rel-sluice-api',
        'Deployment/rel-sluice-worker',
        'PersistentVolumeClaim/rel-sluice-artifacts',
        'Role/rel-sluice-runner',
        'RoleBinding/rel-sluice-runner',
        'Secret/rel-sluice-postgresql',
        'Service/rel-sluice-api',
        'ServiceAccount/rel-sluice-api',
        'ServiceAccount/rel-sluice-step',
        'ServiceAccount/rel-sluice-worker',
      ]);
      for (const o of objects) expect(o.metadata.namespace).toBe('sluice');
      expect(container(api).image).toBe('sluice:0.1.0');
      expect(container(api).args).toEqual(['api']);
      expect(container(worker).args).toEqual(['worker']);
    });

    test('pods and containers run non-root, read-only, without capabilities or privilege escalation, under RuntimeDefault seccomp', () => {
      for (const d of [api, worker]) {
        expect(podSpec(d).securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(podSpec(d).securityContext.runAsUser).toBeGreaterThan(0);
        const sc = container(d).securityContext;
        expect(sc).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } });
        expect(sc.capabilities).toEqual({ drop: ['ALL'] });
        expect(sc.privileged).toBeUndefined();
        // The writable places of a read-only root: /tmp and the data dir, both emptyDirs.
        expect(mount(d, 'tmp').mountPath).toBe('/tmp');
        expect(volume(d, 'tmp')).toEqual({ name: 'tmp', emptyDir: {} });
        expect(mount(d, 'data').mountPath).toBe(config.SLUICE_DATA_DIR);
        expect(volume(d, 'data')).toEqual({ name: 'data', emptyDir: {} });
        expect(envVar(d, 'HOME')).toEqual({ name: 'HOME', value: '/tmp' });
      }
    });

    test("the worker's Role grants exactly what the Kubernetes runner needs, bound to the worker alone", () => {
      const role = one(objects, 'Role');
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
      ]);
      const binding = one(objects, 'RoleBinding');
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: podSpec(worker).serviceAccountName, namespace: 'sluice' }]);
      expect(podSpec(worker).automountServiceAccountToken).toBe(true);
      // The API has its own ServiceAccount, no Role and no token; step pods get one without a Role.
      expect(podSpec(api).serviceAccountName).toBe('rel-sluice-api');
      expect(podSpec(api).automountServiceAccountToken).toBe(false);
      for (const name of ['rel-sluice-api', 'rel-sluice-step']) {
        expect(one(objects, 'ServiceAccount', name).automountServiceAccountToken).toBe(false);
        expect(objects.filter((o) => o.kind === 'RoleBinding' && o.subjects.some((s: { name: string }) => s.name === name))).toEqual([]);
      }
      expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    });

    test('the API is probed on healthz and readyz; the worker by asking Temporal whether it polls', () => {
      const healthz = { httpGet: { path: '/apis/v2beta1/healthz', port: 'http' } };
      const c = container(api);
      expect(c.ports).toEqual([{ name: 'http', containerPort: Number(config.SLUICE_API_PORT), protocol: 'TCP' }]);
      for (const probe of ['startupProbe', 'livenessProbe']) expect(c[probe]).toMatchObject(healthz);
      // Readiness follows PostgreSQL and Temporal; liveness only the process, so an outage restarts nothing.
      expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/apis/v2beta1/readyz', port: 'http' } });
      expect(config.SLUICE_API_HOST).toBe('0.0.0.0');

      const w = container(worker);
      // Its only port is for metrics; the probes do not use it.
      expect(w.ports.map((p: { name: string }) => p.name)).toEqual(['metrics']);
      expect(w.readinessProbe.exec.command).toEqual(['node', '/etc/sluice/probes/worker-probe.js', 'ready']);
      expect(w.livenessProbe.exec.command).toEqual(['node', '/etc/sluice/probes/worker-probe.js', 'live']);
      expect(w.livenessProbe.initialDelaySeconds).toBeGreaterThanOrEqual(60);
      expect(mount(worker, 'probes')).toEqual({ name: 'probes', mountPath: '/etc/sluice/probes', readOnly: true });
      expect(volume(worker, 'probes').configMap.name).toBe('rel-sluice-probes');
      expect(one(objects, 'ConfigMap', '-probes').data['worker-probe.js']).toBe(readFileSync(join(CHART, 'files', 'worker-probe.js'), 'utf8').trimEnd());
      // A rollout waits for a new worker to poll before it stops an old one.
      expect(worker.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    });

    test("each pod's grace period outlasts its shutdown", () => {
      const grace = workerShutdownGraceSeconds();
      expect(podSpec(worker).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(grace + 10);
      const preStop = container(api).lifecycle.preStop.exec.command;
      expect(preStop).toEqual(['sleep', '5']);
      expect(podSpec(api).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(preStop[1]) + 10);
    });

    test('both processes take their settings from the ConfigMap and DATABASE_URL from the Secret', () => {
      const secret = one(objects, 'Secret');
      expect(secret.stringData).toEqual({ DATABASE_URL: 'postgresql://sluice@postgresql:5432/sluice' });
      for (const d of [api, worker]) {
        expect(container(d).envFrom).toEqual([{ configMapRef: { name: 'rel-sluice-config' } }]);
        expect(envVar(d, 'DATABASE_URL')).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: secret.metadata.name, key: 'DATABASE_URL' } } });
        // Configuration changes roll the pods.
        expect(Object.keys(d.spec.template.metadata.annotations)).toEqual(expect.arrayContaining(['checksum/config', 'checksum/secret']));
      }
      expect(config).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal-frontend.temporal:7233',
        TEMPORAL_NAMESPACE: 'default',
        SLUICE_TASK_QUEUE: 'sluice-pipelines',
        SLUICE_PARALLELISM: '16',
        SLUICE_HEARTBEAT_TIMEOUT_SECONDS: '15',
        SLUICE_MAX_CONCURRENT_TASKS: '256',
        SLUICE_RUNNER: 'kubernetes',
        SLUICE_K8S_NAMESPACE: 'sluice',
        SLUICE_K8S_SERVICE_ACCOUNT: 'rel-sluice-step',
        SLUICE_K8S_ARTIFACT_PVC: 'rel-sluice-artifacts',
        SLUICE_K8S_GPU_RESOURCE: 'nvidia.com/gpu',
        SLUICE_K8S_IMAGE_PULL_SECRETS: '',
      });
      expect(JSON.parse(config.SLUICE_K8S_DEFAULT_RESOURCES)).toEqual({ requests: { cpu: '100m', memory: '256Mi' } });
      // Unset, the Kubernetes runner runs each task as its own activity.
      expect(config.SLUICE_SERIES_WIDTH).toBeUndefined();
      expect(loadConfig({}, { ...config, SLUICE_DATA_DIR: '/tmp/sluice-chart' }).seriesWidth).toBe(0);
      // The worker reads this ConfigMap with the one config schema: it must start on it.
      expect(loadConfig({}, { ...config, SLUICE_DATA_DIR: '/tmp/sluice-chart' }).kubernetes).toMatchObject({
        securityContext: { runAsUser: 1000, runAsNonRoot: false, allowPrivilegeEscalation: false, seccompProfile: 'RuntimeDefault' },
        workspaceClaim: {},
      });
      expect(config.SLUICE_K8S_WORKSPACE_PVC).toBeUndefined();
      expect(Object.keys(config).filter((k) => k.startsWith('TEMPORAL_TLS'))).toEqual([]);
      // Tokens only by default: no OIDC, no trusted proxy; the API answers its Service's names.
      expect(Object.keys(config).filter((k) => /OIDC|TRUSTED_PROXY/.test(k))).toEqual([]);
      expect(config.SLUICE_ALLOWED_HOSTS).toBe('rel-sluice-api,rel-sluice-api.sluice,rel-sluice-api.sluice.svc,rel-sluice-api.sluice.svc.cluster.local');
      // Every key is a variable some process reads: no typo goes unnoticed.
      const known = new Set([...configEnvNames(), ...TLS_ENV]);
      expect(Object.keys(config).filter((k) => !known.has(k))).toEqual([]);
    });

    test('each worker serves its metrics for Prometheus on the port its annotations name', () => {
      const annotations = worker.spec.template.metadata.annotations;
      expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464', 'prometheus.io/path': '/metrics' });
      expect(envVar(worker, 'SLUICE_WORKER_METRICS_ADDRESS')).toEqual({ name: 'SLUICE_WORKER_METRICS_ADDRESS', value: '0.0.0.0:9464' });
      expect(container(worker).ports).toEqual([{ name: 'metrics', containerPort: 9464 }]);
    });

    test('the artifact claim is ReadWriteMany, kept on uninstall, written by the worker and read by the API at the artifact root', () => {
      const pvc = one(objects, 'PersistentVolumeClaim');
      expect(pvc.spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '20Gi' } } });
      expect(pvc.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      expect(config.SLUICE_ARTIFACT_ROOT).toBe('/var/lib/sluice/artifacts');
      for (const d of [api, worker]) expect(volume(d, 'artifacts')).toEqual({ name: 'artifacts', persistentVolumeClaim: { claimName: pvc.metadata.name } });
      expect(mount(worker, 'artifacts')).toEqual({ name: 'artifacts', mountPath: config.SLUICE_ARTIFACT_ROOT });
      expect(mount(api, 'artifacts')).toEqual({ name: 'artifacts', mountPath: config.SLUICE_ARTIFACT_ROOT, readOnly: true });
      expect(podSpec(worker).securityContext.fsGroup).toBe(podSpec(worker).securityContext.runAsGroup);
    });

    test('a ClusterIP Service reaches the API pods; no Ingress', () => {
      const service = one(objects, 'Service');
      expect(service.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 8888, targetPort: 'http', protocol: 'TCP' }] });
      expect(service.spec.selector).toEqual(api.spec.selector.matchLabels);
      expect(api.spec.template.metadata.labels).toMatchObject(api.spec.selector.matchLabels);
      expect(worker.spec.selector.matchLabels).not.toEqual(api.spec.selector.matchLabels);
    });
  });

  describe('with every option on', () => {
    let objects: K8sObject[];
    let api: K8sObject;
    let worker: K8sObject;
    let config: Record<string, string>;
    beforeAll(() => {
      objects = render(h, { namespace: 'ml', valuesFiles: [VALUES_ALL] });
      api = one(objects, 'Deployment', '-api');
      worker = one(objects, 'Deployment', '-worker');
      config = one(objects, 'ConfigMap', '-config').data;
    });

    test('uses the existing database Secret and artifact claim instead of creating them', () => {
      expect(objects.filter((o) => o.kind === 'Secret' || o.kind === 'PersistentVolumeClaim')).toEqual([]);
      for (const d of [api, worker]) {
        expect(envVar(d, 'DATABASE_URL').valueFrom.secretKeyRef).toEqual({ name: 'sluice-db', key: 'url' });
        expect(volume(d, 'artifacts').persistentVolumeClaim).toEqual({ claimName: 'shared-artifacts' });
        expect(mount(d, 'artifacts').mountPath).toBe('/data/artifacts');
      }
      expect(config).toMatchObject({ SLUICE_ARTIFACT_ROOT: '/data/artifacts', SLUICE_K8S_ARTIFACT_PVC: 'shared-artifacts' });
    });

    test('connects to Temporal over mTLS with the files of the TLS Secret', () => {
      for (const d of [api, worker]) {
        expect(volume(d, 'temporal-tls')).toEqual({ name: 'temporal-tls', secret: { secretName: 'temporal-client-tls', defaultMode: 0o440 } });
        expect(mount(d, 'temporal-tls')).toEqual({ name: 'temporal-tls', mountPath: '/etc/sluice/temporal-tls', readOnly: true });
      }
      expect(config).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal.example.com:7233',
        TEMPORAL_NAMESPACE: 'ml',
        SLUICE_TASK_QUEUE: 'ml-pipelines',
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/sluice/temporal-tls/tls.crt',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/sluice/temporal-tls/tls.key',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/etc/sluice/temporal-tls/ca.crt',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
        SLUICE_SERIES_WIDTH: '4',
      });
      expect(loadConfig({}, { ...config, SLUICE_DATA_DIR: '/tmp/sluice-chart' }).seriesWidth).toBe(4);
    });

    test('createPvc adds exactly create/get/delete on claims; Role, binding and step identity live in the step namespace', () => {
      const role = one(objects, 'Role');
      expect(role.metadata.namespace).toBe('ml-steps');
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['create', 'get', 'delete'] },
      ]);
      const binding = one(objects, 'RoleBinding');
      expect(binding.metadata.namespace).toBe('ml-steps');
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'sluice-worker', namespace: 'ml' }]);
      const step = one(objects, 'ServiceAccount', 'pipeline-runner');
      expect(step.metadata.namespace).toBe('ml-steps');
      expect(step.metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'steps@example.iam.gserviceaccount.com' });
      expect(podSpec(worker).serviceAccountName).toBe('sluice-worker');
      expect(podSpec(api).serviceAccountName).toBe('sluice-api');
      expect(config).toMatchObject({
        SLUICE_K8S_NAMESPACE: 'ml-steps',
        SLUICE_K8S_SERVICE_ACCOUNT: 'pipeline-runner',
        SLUICE_K8S_GPU_RESOURCE: 'amd.com/gpu',
        SLUICE_K8S_IMAGE_PULL_SECRETS: 'step-cred,other-cred',
      });
      expect(JSON.parse(config.SLUICE_K8S_DEFAULT_RESOURCES)).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } });
      expect(loadConfig({}, { ...config, SLUICE_DATA_DIR: '/tmp/sluice-chart' }).kubernetes).toMatchObject({
        securityContext: { runAsUser: 2000, runAsNonRoot: true },
        workspaceClaim: { storageClassName: 'nfs-client' },
      });
    });

    test('the API answers its Service names, the Ingress host and the extra ones; OIDC and the trusted proxy come from the values', () => {
      expect(config.SLUICE_ALLOWED_HOSTS.split(',')).toEqual([
        'rel-pipelines-api', 'rel-pipelines-api.ml', 'rel-pipelines-api.ml.svc', 'rel-pipelines-api.ml.svc.cluster.local', 'sluice.example.com', 'pipelines.internal',
      ]);
      expect(config).toMatchObject({
        SLUICE_ALLOWED_ORIGINS: 'https://kubeflow.example.com',
        SLUICE_USER_SCOPE: 'read',
        SLUICE_OIDC_ISSUER: 'http://dex.auth.svc.cluster.local:5556/dex',
        SLUICE_OIDC_AUDIENCE: 'kubeflow-oidc-authservice',
        SLUICE_OIDC_USER_CLAIM: 'email',
        SLUICE_OIDC_NAMESPACES_CLAIM: 'groups',
        SLUICE_TRUSTED_PROXY_USER_HEADER: 'kubeflow-userid',
        SLUICE_TRUSTED_PROXY_NAMESPACES_HEADER: 'kubeflow-groups',
      });
      // The API parses these variables (the runner's own settings are the worker's, tested above).
      expect(loadConfig({ runner: 'local' }, config)).toMatchObject({ oidcIssuer: 'http://dex.auth.svc.cluster.local:5556/dex', userScope: 'read', trustedProxyUserHeader: 'kubeflow-userid' });
    });

    test('an Ingress with class, host and TLS routes to the API Service', () => {
      const ingress = one(objects, 'Ingress');
      expect(ingress.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600' });
      expect(ingress.spec).toEqual({
        ingressClassName: 'nginx',
        tls: [{ hosts: ['sluice.example.com'], secretName: 'sluice-example-tls' }],
        rules: [{
          host: 'sluice.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: one(objects, 'Service').metadata.name, port: { name: 'http' } } } }] },
        }],
      });
      expect(one(objects, 'Service').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
      expect(container(api).ports[0].containerPort).toBe(9000);
    });

    test('image, pull secrets, replicas, grace periods, extra env and placement come from the values', () => {
      for (const d of [api, worker]) {
        expect(container(d).image).toBe('registry.example.com/ml/sluice:0.1.0-python');
        expect(container(d).imagePullPolicy).toBe('Always');
        expect(podSpec(d).imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror-cred' }]);
        expect(podSpec(d).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
      }
      expect([api.spec.replicas, worker.spec.replicas]).toEqual([2, 3]);
      expect([podSpec(api).terminationGracePeriodSeconds, podSpec(worker).terminationGracePeriodSeconds]).toEqual([45, 60]);
      expect(container(api).lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
      expect(envVar(api, 'NODE_OPTIONS')).toEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' });
      expect(envVar(worker, 'POD_NAME')).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
      expect(envVar(api, 'DATABASE_URL')).toBeDefined();
      expect(podSpec(api).tolerations).toHaveLength(1);
      expect(api.spec.template.metadata.labels.team).toBe('ml');
    });
  });

  test('runner.kind=local: no Role, no step identity, no Kubernetes token for the worker', () => {
    const objects = render(h, { set: ['runner.kind=local'] });
    expect(objects.filter((o) => ['Role', 'RoleBinding'].includes(o.kind))).toEqual([]);
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name).sort()).toEqual(['rel-sluice-api', 'rel-sluice-worker']);
    expect(podSpec(one(objects, 'Deployment', '-worker')).automountServiceAccountToken).toBe(false);
    const config = one(objects, 'ConfigMap', '-config').data;
    expect(config.SLUICE_RUNNER).toBe('local');
    expect(Object.keys(config).filter((k) => k.startsWith('SLUICE_K8S_'))).toEqual([]);
  });

  test('artifacts.persistence.enabled=false: an emptyDir, and no claim', () => {
    const objects = render(h, { set: ['artifacts.persistence.enabled=false', 'runner.kind=local'] });
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(volume(one(objects, 'Deployment', '-worker'), 'artifacts')).toEqual({ name: 'artifacts', emptyDir: {} });
  });

  test.each([
    ['a string where a number goes', ['api.replicas=two'], /api\.replicas|replicas/],
    ['a number where a boolean goes', ['ingress.enabled=3'], /ingress\.enabled|enabled/],
    ['an unknown runner', ['runner.kind=docker'], /runner\.kind|kind/],
    ['a misspelt key', ['worker.replica=2'], /replica/],
    ['a grace period shorter than the worker shutdown', ['worker.terminationGracePeriodSeconds=1'], /terminationGracePeriodSeconds/],
    ['a Temporal address without a port', ['temporal.address=temporal'], /temporal\.address|address/],
    ['a database URL that is not PostgreSQL', ['postgresql.url=mysql://db/sluice'], /postgresql\.url|url/],
    ['a port out of range', ['api.port=70000'], /api\.port|port/],
    ['an image pull secret that is neither a name nor {name}', ['imagePullSecrets[0].secret=x'], /imagePullSecrets/],
  ])('values.schema.json rejects %s', (_what, set, message) => {
    const res = runHelm(h, templateArgs({ set }));
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(res.stderr).toMatch(message);
  });

  test.each([
    ['half an mTLS pair', ['temporal.tls.enabled=true', 'temporal.tls.existingSecret=s', 'temporal.tls.keyKey='], /certKey and temporal\.tls\.keyKey go together/],
    ['ingress TLS without a certificate Secret', ['ingress.enabled=true', 'ingress.tls.enabled=true'], /ingress\.tls\.secretName is required/],
    ['no database at all', ['postgresql.url='], /postgresql\.url \(DATABASE_URL\) or postgresql\.existingSecret is required/],
  ])('refuses %s with a message saying what to set', (_what, set, message) => {
    const res = runHelm(h, templateArgs({ set }));
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(message);
  });
});
