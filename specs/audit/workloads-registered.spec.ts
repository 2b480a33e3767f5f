// Audit: every pod that mounts an agent's Workload API socket (its host directory, or a
// csi.spiffe.io volume) is named by a registration entry of the server its agent reaches (`entry
// show`, read-only): a workload whose entry was deleted, or never made, gets no SVID.
import { test, expect, notChecked } from '../../fixtures/audit/audit.fixture.ts';

test('every pod that reads an agent\'s socket is registered', async ({ audit }, testInfo) => {
  const w = await test.step('find the pods that mount an agent\'s socket, and the entries of the servers their agents reach', () => audit.workloads());
  if (!w.readers.length) notChecked('no pod outside SPIRE mounts an agent\'s socket (a hostPath of its socket directory or a csi.spiffe.io volume)');
  expect(w.unreadable, 'servers whose registration entries could not be read (entry show)').toEqual([]);
  await testInfo.attach('workloads and their entries.txt', {
    body: w.readers.map((r) => {
      const sample = w.samples.find((s) => s.pod === r.facts);
      return `${r.facts.namespace}/${r.facts.name} (sa ${r.facts.serviceAccount}) reads ${r.agent.id}'s socket through volume ${r.volume.name}${sample ? `: sampled for ${sample.entries.map((e) => e.spiffeId).join(', ')}` : ''}`;
    }).join('\n'),
  });
  expect(w.unregistered.map((r) => `${r.facts.namespace}/${r.facts.name} (service account ${r.facts.serviceAccount}) reads ${r.agent.id}'s socket, but no registration entry at ${r.agent.server ?? `a server of ${r.agent.trustDomain}`} selects it: create one (spire-server entry create, or a ClusterSPIFFEID that selects its namespace and labels)`))
    .toHaveNoViolations('the pods reading an agent\'s socket');
});
