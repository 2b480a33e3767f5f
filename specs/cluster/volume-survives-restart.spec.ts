// Proves what SPIRE servers' datastores rely on: a PersistentVolumeClaim on the default
// StorageClass is provisioned and bound, and what a pod wrote there is still there for the next pod.
import { randomUUID } from 'node:crypto';
import { test, expect } from '../../fixtures/index.ts';
import { busyboxPod, runPod } from '../../fixtures/kube/busybox.ts';

test('a PVC binds on the default StorageClass and its data survives the pod', async ({ cluster, scratch }) => {
  const { kube } = cluster;
  const token = randomUUID();
  await kube.core.createNamespacedPersistentVolumeClaim({ namespace: scratch, body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } } });
  const volume = { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }], containers: [{ name: 'main', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] };

  await test.step('write a token to the volume', () => runPod(kube, scratch, busyboxPod('writer', `echo ${token} > /data/token`, volume), 'Succeeded', 90_000));
  const pvc = await kube.core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: scratch });
  expect(pvc.status?.phase, 'PVC "data" phase').toBe('Bound');
  await kube.core.deleteNamespacedPod({ name: 'writer', namespace: scratch });
  await test.step('read it back from a new pod', () => runPod(kube, scratch, busyboxPod('reader', 'cat /data/token', volume), 'Succeeded'));
  const read = await kube.core.readNamespacedPodLog({ name: 'reader', namespace: scratch });
  expect(read.trim(), 'token read back from the volume').toBe(token);
});
