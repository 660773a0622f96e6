import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeControlPlane, type KubeControlPlane } from './kube-control-plane';

export interface KubeWithArtifacts {
  cluster: KubeControlPlane;
  kc: KubeConfig;
  core: CoreV1Api;
}

/**
 * The test control plane with Sluice's artifact store in place: claim `claimName` in `namespace`,
 * bound to a host-path volume at `root` (the worker's artifact root), as every step pod mounts it.
 */
export async function startKubeWithArtifacts(root: string, namespace = 'default', claimName = 'sluice-artifacts'): Promise<KubeWithArtifacts> {
  const cluster = await startKubeControlPlane();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const volumeName = `${claimName}-volume`;
  await core.createPersistentVolume({
    body: {
      metadata: { name: volumeName },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'], storageClassName: '', hostPath: { path: root }, claimRef: { namespace, name: claimName } },
    },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: { metadata: { name: claimName }, spec: { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName, resources: { requests: { storage: '1Gi' } } } },
  });
  for (const end = Date.now() + 60_000; ; ) {
    if ((await core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace })).status?.phase === 'Bound') break;
    if (Date.now() > end) throw new Error(`claim ${claimName} was not bound within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { cluster, kc, core };
}
