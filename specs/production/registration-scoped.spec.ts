// Proves registration gives identities only where it says: a pod in a workload's own namespace
// under another service account receives no SVID of that workload (an entry selecting by namespace
// alone would hand it out), and the registrar's ClusterSPIFFEID acts only in the namespaces meant
// for it: a labelled pod in a namespace without the instance's label gets no entry, judged once a
// labelled control pod created after it in a meant namespace has its entry (the registrar has
// reconciled with both present).
import * as k8s from '@kubernetes/client-node';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { waitForPods } from '../../fixtures/kube/wait.ts';
import { agentClientPod } from '../../fixtures/spire/agent-client-pod.ts';
import { spireAgentApi, spireServer } from '../../fixtures/spire-api/cli.ts';
import { instanceLabel } from '../../fixtures/suite/instance.ts';
import { observeAgent } from '../../fixtures/topology/observe.ts';

test.describe.configure({ lock: instanceLock });

test('a pod in a workload\'s namespace under another service account receives none of its SVIDs', async ({ cluster, nested }) => {
  const { kube } = cluster;
  const { namespace } = nested;
  const workload = nested.workloads.a;
  const sa = 'scope-probe';
  const name = 'scope-probe';
  const pod = agentClientPod(name, await observeAgent(kube, namespace, 'nesteda-agent'), { serviceAccountName: sa });
  try {
    await kube.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
    await kube.core.createNamespacedPod({ namespace, body: pod });
    await waitForPods(kube, { namespace, name }, 'Ready', 60_000);
    const r = await spireAgentApi(kube, { namespace, pod: name, container: 'main' }, ['fetch', 'x509', '-timeout', '5s', '-output', 'json']);
    const ids = r.exitCode === 0 ? (JSON.parse(r.stdout) as { svids: { spiffe_id: string }[] }).svids.map((s) => s.spiffe_id) : [];
    expect(ids, `a pod in ${namespace} running as ${sa} received SVIDs (nestedA-agent): registration must select the service account, not the namespace alone`).not.toContain(workload.spiffeId);
    expect(ids, 'no SVID at all for a service account nothing registers').toEqual([]);
    expect(r.stderr + r.stdout).toMatch(/PermissionDenied|no identity issued/);
  } finally {
    await kube.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
    await kube.core.deleteNamespacedServiceAccount({ namespace, name: sa }).catch(() => undefined);
  }
});

test('the registrar\'s ClusterSPIFFEID gives no entry to a labelled pod in a namespace not meant for it', async ({ cluster, federated, scratch }) => {
  const { kube } = cluster;
  const sa = 'registrar-scope';
  const idOf = (ns: string, account: string) => `spiffe://${federated.domains.example}/registrar/ns/${ns}/sa/${account}`;
  const entries = async (id: string) => {
    const out = await spireServer(kube, federated.servers.nestedC, ['entry', 'show', '-spiffeID', id, '-output', 'json']);
    return ((JSON.parse(out) as { entries?: { id: string }[] }).entries ?? []).map((e) => e.id);
  };
  const agent = await observeAgent(kube, federated.namespace, 'nestedc-agent');
  const setInstanceLabel = (value: string | null) => kube.objects.patch({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: scratch, labels: { [instanceLabel]: value as string } } },
    undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch);
  const instance = (await kube.core.readNamespace({ name: scratch })).metadata!.labels![instanceLabel]!;
  await test.step(`take ${instanceLabel} off ${scratch}: the ClusterSPIFFEID's namespaceSelector no longer matches it`, () => setInstanceLabel(null));
  await kube.core.createNamespacedServiceAccount({ namespace: scratch, body: { metadata: { name: sa } } });
  await kube.core.createNamespacedPod({ namespace: scratch, body: agentClientPod('labelled', agent, { serviceAccountName: sa, labels: { 'spiffe.io/spiffe-id': 'true' } }) });
  await waitForPods(kube, { namespace: scratch, name: 'labelled' }, 'Ready', 60_000);
  // The control: a labelled pod in the instance's own namespace, created after the other. Once its
  // entry exists, the registrar has reconciled with both pods present (a ClusterSPIFFEID's
  // reconcile lists every pod it could select), and so has judged the first.
  const control = 'registrar-scope-control';
  const ns = federated.namespace;
  try {
    await kube.core.createNamespacedPod({ namespace: ns, body: agentClientPod(control, agent, { labels: { 'spiffe.io/spiffe-id': 'true' } }) });
    await expect.poll(() => entries(idOf(ns, 'default')), { message: `the registrar's entry for the control pod in ${ns}`, timeout: 60_000, intervals: [1000] }).toHaveLength(1);
    expect(await entries(idOf(scratch, sa)), `the registrar registered ${idOf(scratch, sa)} in ${scratch}, a namespace its ClusterSPIFFEID does not select`).toEqual([]);
  } finally {
    await kube.core.deleteNamespacedPod({ namespace: ns, name: control, gracePeriodSeconds: 0 }).catch(() => undefined);
    // The label back: what finds the suite's leftovers (npm run clean, leftovers) finds it by it.
    await setInstanceLabel(instance);
  }
});
