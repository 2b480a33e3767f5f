// Proves the registrar (spire-controller-manager beside nestedC-server, the successor of the
// seed's k8s-workload-registrar) follows pod labels: a pod labelled spiffe.io/spiffe-id: "true"
// receives, through nestedC's agent, an SVID with the ClusterSPIFFEID's templated ID; removing
// the label removes its registration entry.
import * as k8s from '@kubernetes/client-node';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { waitForPods } from '../../fixtures/kube/wait.ts';
import { agentClientPod } from '../../fixtures/spire/agent-client-pod.ts';
import { observeAgent } from '../../fixtures/topology/observe.ts';
import { spireAgentApi, spireServer } from '../../fixtures/spire-api/cli.ts';

test.describe.configure({ lock: instanceLock });

test('a pod labelled spiffe.io/spiffe-id gets the templated SVID, and loses its entry with the label', async ({ cluster, federated, scratch }) => {
  const { kube } = cluster;
  const sa = 'registrar-probe';
  const expectedId = `spiffe://${federated.domains.example}/registrar/ns/${scratch}/sa/${sa}`;
  await kube.core.createNamespacedServiceAccount({ namespace: scratch, body: { metadata: { name: sa } } });
  const pod = agentClientPod('labelled', await observeAgent(kube, federated.namespace, 'nestedc-agent'), { serviceAccountName: sa, labels: { 'spiffe.io/spiffe-id': 'true' } });
  await kube.core.createNamespacedPod({ namespace: scratch, body: pod });
  await waitForPods(kube, { namespace: scratch, name: 'labelled' }, 'Ready', 60_000);
  const target = { namespace: scratch, pod: 'labelled', container: 'main' };
  const entries = async () => {
    const out = await spireServer(kube, federated.servers.nestedC, ['entry', 'show', '-spiffeID', expectedId, '-output', 'json']);
    return ((JSON.parse(out) as { entries?: { id: string }[] }).entries ?? []).map((e) => e.id);
  };

  await test.step(`fetch an X.509-SVID through nestedC-agent: expect ${expectedId}`, async () => {
    await expect.poll(async () => {
      const r = await spireAgentApi(kube, target, ['fetch', 'x509', '-timeout', '3s', '-output', 'json']);
      return r.exitCode === 0 ? (JSON.parse(r.stdout) as { svids: { spiffe_id: string }[] }).svids.map((s) => s.spiffe_id) : [`(no SVID: ${(r.stderr || r.stdout).trim()})`];
    }, { message: 'SPIFFE IDs the labelled pod receives', timeout: 90_000, intervals: [1000] }).toEqual([expectedId]);
  });
  const created = await entries();
  expect(created, 'the registrar\'s entry (ID prefix "registrar.")').toEqual([expect.stringMatching(/^registrar\./)]);

  await test.step('remove the label', () =>
    kube.objects.patch({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'labelled', namespace: scratch, labels: { 'spiffe.io/spiffe-id': null as unknown as string } } },
      undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch));
  await test.step('wait until nestedC-server has no entry for it', () =>
    expect.poll(entries, { message: `entries for ${expectedId} at nestedc-server`, timeout: 60_000, intervals: [1000] }).toEqual([]));
});
