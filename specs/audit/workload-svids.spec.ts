// Audit: one workload of each registration shape receives, from its agent, the X.509-SVIDs its
// entries entitle it to and a JWT-SVID, conforming to the SPIFFE standards and vouched for by its
// server (the suite's own checks, fixtures/checks/workload-svids.ts). Workloads named in audit.yaml
// are asked through the container it names; the others through a sibling pod with the agent's
// image (fixtures/audit/sibling-fetcher.ts), created only with AUDIT_TOUCH_WORKLOADS=1 and deleted
// after (without it: not checked, never a pass).
import { test, expect, notChecked } from '../../fixtures/audit/audit.fixture.ts';
import { withSibling } from '../../fixtures/audit/sibling-fetcher.ts';
import { matchEntry, type RegisteredEntry } from '../../fixtures/audit/workload-entries.ts';
import { readEntries } from '../../fixtures/audit/workloads.ts';
import { expectConformingJwtSvid, expectConformingX509Svids, type WorkloadUnderCheck } from '../../fixtures/checks/workload-svids.ts';
import { fetchX509Svids } from '../../fixtures/spire-api/svids.ts';

const audience = 'spire-k8s-conformance-audit';
/** A new pod's entry (a controller manager's reconcile) and its agent's next sync. */
const newPodSeconds = 30;

async function checkWorkload(kube: Parameters<typeof expectConformingX509Svids>[0], c: WorkloadUnderCheck & { trustDomain: string }): Promise<void> {
  expect(c.entitled, `${c.label}: the identities its registration entries name`).not.toEqual([]);
  await expectConformingX509Svids(kube, c);
  await expectConformingJwtSvid(kube, c, c.trustDomain, audience);
}

test('one workload of each registration shape receives conforming SVIDs for the identities its entries name', async ({ audit }) => {
  const w = await test.step('find the workloads and their entries', () => audit.workloads());
  const named = audit.target.workloads;
  const discovered = w.samples.filter((s) => !named.some((n) => n.namespace === s.pod.namespace && n.pod === s.pod.name));
  if (!named.length && !discovered.length) notChecked('no workload: no pod outside SPIRE reads an agent\'s socket under a registration entry');
  if (!named.length && !audit.touch) {
    notChecked(`${discovered.length} workload shape(s) found (${discovered.map((s) => `${s.pod.namespace}/${s.pod.name}`).join(', ')}); fetching their SVIDs without anything in their images needs AUDIT_TOUCH_WORKLOADS=1, which runs a sibling pod with the agent's image beside one pod of each, deleted after`);
  }
  const serverOf = (id: string | undefined, trustDomain: string) => audit.target.servers.find((s) => `${s.namespace}/${s.name}` === id) ?? audit.serversIn(trustDomain)[0]!;

  for (const ref of named) {
    const reader = w.readers.find((r) => r.facts.namespace === ref.namespace && r.facts.name === ref.pod);
    expect(reader, `${ref.namespace}/${ref.pod} (audit.yaml): a pod that mounts an agent's socket`).toBeDefined();
    const entitled = w.entries.filter((e) => matchEntry(e, reader!.facts).matches !== false).map((e) => e.spiffeId);
    await test.step(`${ref.namespace}/${ref.pod}: entitled to ${entitled.join(', ') || 'nothing'}`, () =>
      checkWorkload(audit.kube, { label: `${ref.namespace}/${ref.pod}`, ref, entitled, server: serverOf(reader!.agent.server, reader!.agent.trustDomain), trustDomain: reader!.agent.trustDomain }));
  }

  for (const sample of audit.touch ? discovered : []) {
    const label = `${sample.pod.namespace}/${sample.pod.name}`;
    const image = sample.reader.agent.image?.image;
    expect(image, `${sample.reader.agent.id}: the agent's image, to run beside ${label}`).toBeDefined();
    const server = serverOf(sample.reader.agent.server, sample.reader.agent.trustDomain);
    await test.step(`${label}: a sibling pod (${image}) with its namespace, service account, labels and socket volume ${sample.reader.volume.name}`, () =>
      withSibling(audit.touch!.kube, sample.reader, image!, async (ref, facts) => {
        audit.touch!.touched.push(`${label} (sibling ${ref.pod})`);
        // What selects the sibling is what selects any pod like it: entries by namespace, service
        // account and labels (a controller manager makes the sibling's own within a reconcile).
        let entitled: RegisteredEntry[] = [];
        await expect.poll(async () => {
          entitled = (await readEntries(audit.kube, server, `${server.namespace}/${server.name}`)).filter((e) => matchEntry(e, facts).matches === true);
          return entitled.length && (await fetchX509Svids(audit.kube, ref).then((s) => s.length, () => 0));
        }, { message: `${label}: an entry that selects a pod like it (by namespace, service account, labels; not the pod's own uid, name or owner) and an SVID for its sibling, within ${newPodSeconds} s; its own entries: ${sample.entries.map((e) => `${e.spiffeId} [${e.selectors.join(' ')}]`).join('; ')}`, timeout: newPodSeconds * 1000, intervals: [1000] }).toBeGreaterThan(0);
        const ids = [...new Set(entitled.map((e) => e.spiffeId))].sort();
        const own = [...new Set(sample.entries.map((e) => e.spiffeId))].sort();
        if (ids.join() !== own.join()) test.info().annotations.push({ type: 'warning', description: `${label}'s sibling is entitled to ${ids.join(', ')}, the pod itself to ${own.join(', ')}: an entry names the pod itself` });
        await checkWorkload(audit.kube, { label: `${label} (through ${ref.pod})`, ref, entitled: ids, server, trustDomain: sample.reader.agent.trustDomain });
      }));
  }
});
