// Proves what SPIRE's k8s workload attestor relies on: a hostPID, hostNetwork DaemonSet pod reaches
// the kubelet's authenticated port 10250 and, with its service-account token (authorized through
// RBAC on nodes/proxy), reads /pods; without a token the kubelet refuses.
import { test, expect } from '../../fixtures/index.ts';
import { busyboxPod } from '../../fixtures/kube/busybox.ts';
import { exec } from '../../fixtures/kube/exec.ts';
import { waitForWorkload } from '../../fixtures/kube/wait.ts';

test('a hostPID, hostNetwork DaemonSet pod reads the kubelet /pods with its service-account token', async ({ cluster, scratch }) => {
  const { kube } = cluster;
  const role = `${scratch}-kubelet-reader`;
  await kube.core.createNamespacedServiceAccount({ namespace: scratch, body: { metadata: { name: 'agent' } } });
  await kube.rbac.createClusterRole({ body: { metadata: { name: role }, rules: [{ apiGroups: [''], resources: ['pods', 'nodes', 'nodes/proxy'], verbs: ['get'] }] } });
  try {
    await kube.rbac.createClusterRoleBinding({ body: { metadata: { name: role }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: scratch }] } });
    const template = busyboxPod('agent', 'exec sleep 3600', {
      restartPolicy: 'Always', hostPID: true, hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', serviceAccountName: 'agent',
      containers: [{ name: 'main', env: [{ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }] }],
    });
    await kube.apps.createNamespacedDaemonSet({ namespace: scratch, body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: template.metadata, spec: template.spec! } } } });
    await test.step('wait for the DaemonSet', () => waitForWorkload(kube, 'DaemonSet', scratch, 'agent', 60_000));
    const [pod] = (await kube.core.listNamespacedPod({ namespace: scratch, labelSelector: 'app=agent' })).items;
    const target = { namespace: scratch, pod: pod!.metadata!.name!, container: 'main' };
    const get = (auth: boolean) => exec(kube, target, ['sh', '-c',
      `wget -qO- --no-check-certificate ${auth ? '--header "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)"' : ''} "https://$NODE_IP:10250/pods" 2>&1`]);

    const authorized = await test.step('GET https://$NODE_IP:10250/pods with the token', () => get(true));
    expect(authorized.exitCode, `kubelet /pods with token:\n${authorized.stdout.slice(0, 500)}`).toBe(0);
    const names = (JSON.parse(authorized.stdout) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name);
    expect(names, 'pods the kubelet reports on this node').toContain(target.pod);

    const anonymous = await test.step('GET the same without a token', () => get(false));
    expect(anonymous.exitCode, 'kubelet must refuse an anonymous /pods').not.toBe(0);
    expect(anonymous.stdout).toMatch(/401|Unauthorized/);
  } finally {
    await kube.rbac.deleteClusterRoleBinding({ name: role }).catch(() => undefined);
    await kube.rbac.deleteClusterRole({ name: role }).catch(() => undefined);
  }
});
