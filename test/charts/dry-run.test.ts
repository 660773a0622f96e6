import { randomBytes } from 'node:crypto';
import type * as K8s from '@kubernetes/client-node';
import { kubeControlPlaneUnavailable, startKubeControlPlane, type KubeControlPlane } from '../../stack/kube-control-plane';
import { saySkipped } from '../support/say-skipped';
import { CHART, VALUES_ALL, findHelm, render, runHelm, type K8sObject } from './helm';

/**
 * The rendered chart against a real Kubernetes API server: every object is created with a
 * server-side dry run (admission, validation and defaulting run; nothing is stored), and each
 * Deployment's pod passes the `restricted` Pod Security Standard. Runs against the cluster of
 * SLUICE_TEST_KUBECONFIG (cluster-admin rights) or else the test control plane; only the two
 * namespaces the test makes are really created, and they are deleted at the end.
 */
const givenKubeconfig = process.env.SLUICE_TEST_KUBECONFIG;
const noCluster = givenKubeconfig ? undefined : kubeControlPlaneUnavailable();
const { helm, reason } = findHelm();
if (noCluster) saySkipped(`server-side dry run of charts/sluice: no SLUICE_TEST_KUBECONFIG, and ${noCluster}`);
else if (!helm) saySkipped(`server-side dry run of charts/sluice: ${reason}`);
const describeCluster = !noCluster && helm ? describe : describe.skip;

/**
 * Paths of fields that were sent but are absent from what the server answered: a field the
 * client's typed models or the server's schema do not know is dropped silently, not refused.
 */
function missingFields(sent: unknown, got: unknown, path = ''): string[] {
  if (sent === null || sent === undefined) return [];
  if (got === null || got === undefined) return [path || '(root)'];
  if (Array.isArray(sent)) {
    if (!Array.isArray(got) || got.length !== sent.length) return [path];
    return sent.flatMap((item, i) => missingFields(item, got[i], `${path}[${i}]`));
  }
  if (typeof sent === 'object') {
    if (typeof got !== 'object') return [path];
    return Object.entries(sent as Record<string, unknown>).flatMap(([key, value]) =>
      missingFields(value, (got as Record<string, unknown>)[key], path ? `${path}.${key}` : key));
  }
  return [];
}

describeCluster('charts/sluice on a real API server (server-side dry run)', () => {
  const h = helm as string;
  const suffix = randomBytes(3).toString('hex');
  const releaseNs = `sluice-chart-${suffix}`;
  const stepsNs = `sluice-steps-${suffix}`;
  let k8s: typeof K8s;
  let objectsApi: K8s.KubernetesObjectApi;
  let core: K8s.CoreV1Api;

  let cluster: KubeControlPlane | undefined;
  let kubeconfig: string;

  beforeAll(async () => {
    // The given cluster, else the test control plane (stack/kube-control-plane.ts).
    if (givenKubeconfig) kubeconfig = givenKubeconfig;
    else {
      cluster = await startKubeControlPlane();
      kubeconfig = cluster.kubeconfigPath;
    }
    k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    objectsApi = k8s.KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of [releaseNs, stepsNs]) {
      // `restricted` is enforced: a pod of the chart that breaks it is refused, even in a dry run.
      await core.createNamespace({ body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } } });
    }
  });

  afterAll(async () => {
    for (const name of [releaseNs, stepsNs]) await core?.deleteNamespace({ name }).catch(() => undefined);
    await cluster?.stop();
  });

  async function dryRunCreate(obj: K8sObject): Promise<K8sObject> {
    try {
      return (await objectsApi.create(obj as K8s.KubernetesObject, undefined, 'All')) as K8sObject;
    } catch (err) {
      throw new Error(`the server refused ${obj.kind}/${obj.metadata.name}: ${(err as { body?: string }).body ?? (err as Error).message}`);
    }
  }

  const variants: Array<[string, () => K8sObject[]]> = [
    ['the default values', () => render(h, { namespace: releaseNs })],
    ['every option on', () => render(h, { namespace: releaseNs, valuesFiles: [VALUES_ALL], set: [`runner.kubernetes.namespace=${stepsNs}`] })],
  ];

  test.each(variants)('with %s, the server accepts every object and keeps every field', async (_name, objects) => {
    const rendered = objects();
    expect(rendered.length).toBeGreaterThan(8);
    for (const obj of rendered) {
      const created = await dryRunCreate(obj);
      expect(created.metadata.uid ?? created.metadata.name).toBeTruthy();
      // The server turns a Secret's stringData into data.
      const sent = obj.kind === 'Secret' ? { ...obj, stringData: undefined } : obj;
      expect({ object: `${obj.kind}/${obj.metadata.name}`, missing: missingFields(sent, created) }).toEqual({ object: `${obj.kind}/${obj.metadata.name}`, missing: [] });
      if (obj.kind === 'Secret') expect(Object.keys(created.data ?? {})).toEqual(Object.keys(obj.stringData));
    }
  });

  test.each(variants)("with %s, each Deployment's pod passes the restricted Pod Security Standard", async (_name, objects) => {
    const rendered = objects();
    // Pods name ServiceAccounts that must exist (admission checks): create those for real.
    for (const sa of rendered.filter((o) => o.kind === 'ServiceAccount')) {
      await objectsApi.create(sa as K8s.KubernetesObject).catch((err) => {
        if ((err as { code?: number }).code !== 409) throw err;
      });
    }
    for (const deployment of rendered.filter((o) => o.kind === 'Deployment')) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${deployment.metadata.name}-probe`, namespace: deployment.metadata.namespace, labels: deployment.spec.template.metadata.labels }, spec: deployment.spec.template.spec };
      await dryRunCreate(pod);
    }
  });

  test('the check bites: a pod that allows privilege escalation is refused there', async () => {
    const rendered = render(h, { namespace: releaseNs, set: ['securityContext.allowPrivilegeEscalation=true'] });
    const deployment = rendered.find((o) => o.kind === 'Deployment') as K8sObject;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'escalating', namespace: releaseNs }, spec: deployment.spec.template.spec };
    await expect(dryRunCreate(pod)).rejects.toThrow(/violates PodSecurity .*restricted:latest.*: allowPrivilegeEscalation != false/);
  });

  test('helm install --dry-run=server renders against the cluster and says how to reach the API', () => {
    // Its own release name: the ServiceAccounts created above belong to no release.
    const res = runHelm(h, ['install', 'notes', CHART, '--namespace', releaseNs, '--dry-run=server', '--kubeconfig', kubeconfig]);
    expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
    const notes = res.stdout.slice(res.stdout.indexOf('NOTES:'));
    expect(notes).toContain(`kubectl -n ${releaseNs} port-forward service/notes-sluice-api 8888:8888`);
    expect(notes).toContain('export SLUICE_API=http://127.0.0.1:8888');
    expect(notes).toContain('rollout status deployment/notes-sluice-api deployment/notes-sluice-worker');
  });
});
