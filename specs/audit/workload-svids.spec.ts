// Audit: one workload of each registration shape receives, from its agent, the X.509-SVIDs its
// entries entitle it to and a JWT-SVID, conforming to the SPIFFE standards and vouched for by its
// server (the suite's own checks, fixtures/checks/workload-svids.ts). Workloads named in audit.yaml
// are asked through the container it names; the others through an ephemeral container with the
// agent's image, added only with AUDIT_TOUCH_WORKLOADS=1 (without it: not checked, never a pass).
import { test, expect, notChecked } from '../../fixtures/audit/audit.fixture.ts';
import { attachFetcher } from '../../fixtures/audit/ephemeral-fetcher.ts';
import { matchEntry } from '../../fixtures/audit/workload-entries.ts';
import { expectConformingJwtSvid, expectConformingX509Svids, type WorkloadUnderCheck } from '../../fixtures/checks/workload-svids.ts';

const audience = 'spire-k8s-conformance-audit';

test('one workload of each registration shape receives conforming SVIDs for the identities its entries name', async ({ audit }) => {
  const w = await test.step('find the workloads and their entries', () => audit.workloads());
  const named = audit.target.workloads;
  const discovered = w.samples.filter((s) => !named.some((n) => n.namespace === s.pod.namespace && n.pod === s.pod.name));
  if (!named.length && !discovered.length) notChecked('no workload: no pod outside SPIRE reads an agent\'s socket under a registration entry');
  if (!named.length && !audit.touch) {
    notChecked(`${discovered.length} workload shape(s) found (${discovered.map((s) => `${s.pod.namespace}/${s.pod.name}`).join(', ')}); fetching their SVIDs without anything in their images needs AUDIT_TOUCH_WORKLOADS=1, which adds an ephemeral container with the agent's image to one pod of each`);
  }
  const serverOf = (id: string | undefined, trustDomain: string) => audit.target.servers.find((s) => `${s.namespace}/${s.name}` === id) ?? audit.serversIn(trustDomain)[0];

  const checks: (WorkloadUnderCheck & { trustDomain: string })[] = [];
  for (const ref of named) {
    const reader = w.readers.find((r) => r.facts.namespace === ref.namespace && r.facts.name === ref.pod);
    expect(reader, `${ref.namespace}/${ref.pod} (audit.yaml): a pod that mounts an agent's socket`).toBeDefined();
    const entitled = w.entries.filter((e) => matchEntry(e, reader!.facts).matches !== false).map((e) => e.spiffeId);
    checks.push({ label: `${ref.namespace}/${ref.pod}`, ref, entitled, server: serverOf(reader!.agent.server, reader!.agent.trustDomain)!, trustDomain: reader!.agent.trustDomain });
  }
  for (const sample of audit.touch ? discovered : []) {
    const label = `${sample.pod.namespace}/${sample.pod.name}`;
    if (!sample.entries.length) {
      test.info().annotations.push({ type: 'warning', description: `not fetched: ${label}'s entries select one container (${sample.perContainer.flatMap((e) => e.selectors).join(', ')}); the audit's own container cannot be attested as it` });
      continue;
    }
    const image = sample.reader.agent.image?.image;
    expect(image, `${sample.reader.agent.id}: the agent's image, to run in ${label}`).toBeDefined();
    const ref = await test.step(`${label}: add an ephemeral container (${image}) mounting its socket volume ${sample.reader.volume.name}`, () => attachFetcher(audit.touch!.kube, sample.reader, image!));
    if (ref.created) audit.touch!.touched.push(`${label} (container ${ref.container})`);
    checks.push({ label, ref, entitled: sample.entries.map((e) => e.spiffeId), server: serverOf(sample.reader.agent.server, sample.reader.agent.trustDomain)!, trustDomain: sample.reader.agent.trustDomain });
  }
  for (const c of checks) {
    await test.step(`${c.label}: entitled to ${c.entitled.join(', ') || 'nothing'}`, async () => {
      expect(c.entitled, `${c.label}: the identities its registration entries name`).not.toEqual([]);
      await expectConformingX509Svids(audit.kube, c);
      await expectConformingJwtSvid(audit.kube, c, c.trustDomain, audience);
    });
  }
});
