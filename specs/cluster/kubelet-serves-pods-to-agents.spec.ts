// Proves what SPIRE's k8s workload attestor relies on: from a hostPID, hostNetwork DaemonSet pod's
// network namespace, the kubelet's authenticated port 10250 answers /pods to the pod's own
// service-account token (authorized through RBAC on nodes/proxy), and refuses a request without it.
// The HTTPS client is this process, connected through a port-forward into the pod, so the check
// does not depend on the TLS abilities of a workload image.
import { test, expect } from '../../fixtures/index.ts';
import { busyboxPod, idle } from '../../fixtures/kube/busybox.ts';
import { exec } from '../../fixtures/kube/exec.ts';
import { httpsGetInsecure } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { waitForWorkload } from '../../fixtures/kube/wait.ts';

test('a hostPID, hostNetwork DaemonSet pod reads the kubelet /pods with its service-account token', async ({ cluster, scratch }) => {
  const { kube } = cluster;
  const role = `${scratch}-kubelet-reader`;
  await kube.core.createNamespacedServiceAccount({ namespace: scratch, body: { metadata: { name: 'agent' } } });
  await kube.rbac.createClusterRole({ body: { metadata: { name: role }, rules: [{ apiGroups: [''], resources: ['pods', 'nodes', 'nodes/proxy'], verbs: ['get'] }] } });
  try {
    await kube.rbac.createClusterRoleBinding({ body: { metadata: { name: role }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: scratch }] } });
    const template = busyboxPod('agent', idle, { restartPolicy: 'Always', hostPID: true, hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', serviceAccountName: 'agent' });
    await kube.apps.createNamespacedDaemonSet({ namespace: scratch, body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: template.metadata, spec: template.spec! } } } });
    await test.step('wait for the DaemonSet', () => waitForWorkload(kube, 'DaemonSet', scratch, 'agent', 60_000));
    const [pod] = (await kube.core.listNamespacedPod({ namespace: scratch, labelSelector: 'app=agent' })).items;
    const podName = pod!.metadata!.name!;
    // What the node did with the request, not what the spec asked for: the pod has the node's
    // address, and its PID 1 is the host's init, not the container's own command.
    const node = await kube.core.readNode({ name: pod!.spec!.nodeName! });
    const nodeIps = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
    expect(nodeIps, `the DaemonSet pod runs in the host network: its IP ${pod!.status?.podIP} is the node's`).toContain(pod!.status?.podIP);
    const init = await exec(kube, { namespace: scratch, pod: pod!.metadata!.name!, container: 'main' }, ['cat', '/proc/1/cmdline']);
    expect(init.stdout.split('\0')[0], 'PID 1 seen from the pod (hostPID: the host\'s, not the container\'s tail)').not.toMatch(/tail|^$/);
    const read = await exec(kube, { namespace: scratch, pod: podName, container: 'main' }, ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token']);
    expect(read.exitCode, `reading the pod's service-account token: ${read.stderr}`).toBe(0);
    const token = read.stdout.trim();

    await withPortForward(kube, scratch, podName, 10250, async (port) => {
      const authorized = await test.step('GET :10250/pods from the pod\'s network namespace with its token', () =>
        httpsGetInsecure(`https://localhost:${port}/pods`, { Authorization: `Bearer ${token}` }));
      expect(authorized.status, `kubelet /pods with the pod's token: ${authorized.body.slice(0, 300)}`).toBe(200);
      const names = (JSON.parse(authorized.body) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name);
      expect(names, 'pods the kubelet reports on this node').toContain(podName);

      const anonymous = await test.step('GET the same without a token', () => httpsGetInsecure(`https://localhost:${port}/pods`));
      expect(anonymous.status, 'kubelet must refuse an anonymous /pods').toBe(401);
    });
  } finally {
    await kube.rbac.deleteClusterRoleBinding({ name: role }).catch(() => undefined);
    await kube.rbac.deleteClusterRole({ name: role }).catch(() => undefined);
  }
});
