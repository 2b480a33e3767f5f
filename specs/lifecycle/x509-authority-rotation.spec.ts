// Proves an X.509 authority's whole lifecycle at the top of the nested topology, as an operator
// replacing a compromised UpstreamAuthority CA runs it: a new CA in root-server's Secret; `prepare`
// puts it in every holder's bundle (each server, each workload, auxiliary.org's copy) before any
// SVID chains to it; `activate`, then `upstreamauthority taint` of the old CA makes every nested
// server re-issue its CA and every workload receive an SVID that chains through them to the new CA;
// `upstreamauthority revoke` removes the old CA from every holder. Mutual TLS between two workloads
// under different servers is tried every second throughout and must never fail. Then every agent's
// bootstrap bundle holds the new roots, and a new pod of every agent DaemonSet attests from it.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { allChecks, secondsUntil } from '../../fixtures/expect.ts';
import { topologyHolders, x509RootHolders, type X509RootHolder } from '../../fixtures/spire/key-holders.ts';
import { activeAuthority } from '../../fixtures/spire-api/local-authorities.ts';
import { keepHandshaking } from '../../fixtures/spire/mtls-monitor.ts';
import { fetchX509Svid, x509SvidIds } from '../../fixtures/spire-api/svids.ts';
import { daemonSetPod, replacePod } from '../../fixtures/spire/outage.ts';
import { observeTopology } from '../../fixtures/topology/observe.ts';
import { observeScope } from '../../fixtures/modules/catalog.ts';
import { bootstrapCurrent, renderFinding } from '../../fixtures/verify/production.ts';
import { nextSyncBoundSeconds } from '../../fixtures/verify/recovery.ts';
import { activateX509Authority, prepareX509Authority, replaceUpstreamCa, revokeUpstreamAuthority, taintUpstreamAuthority } from '../../fixtures/spire/x509-rotation.ts';
import { chainShapeViolations } from '../../fixtures/verify/chain-shape.ts';
import { holderBound, reissueBoundSeconds } from '../../fixtures/verify/propagation.ts';
import { authorityKeyId } from '../../fixtures/verify/x509.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('root-server\'s UpstreamAuthority CA replaced: the new CA reaches every holder before any SVID chains to it, tainting the old one re-issues every CA and SVID under the new one, revoking it removes it everywhere, and mutual TLS never fails', async ({ cluster, nested, federated, instanceTopology }, testInfo) => {
  const { kube } = cluster;
  const { root } = nested.servers;
  const { sources, timing } = await topologyHolders(kube, instanceTopology, nested.trustDomain, [nested.workloads.a, nested.workloads.b, federated.workloads.c]);
  const { workloads } = sources;
  const bound = (h: X509RootHolder) => holderBound(h.path, timing);
  const holders = x509RootHolders(kube, sources);
  // Each holder timed and reported; the late ones named together.
  const everyHolder = async (group: string, since: number, holds: (roots: string[]) => boolean, what: (h: X509RootHolder) => string) => {
    await allChecks(`holders late in "${group}"`, holders.map(async (h) => {
      const seconds = await secondsUntil(async () => holds(await h.roots()), since, bound(h).seconds, what(h));
      await recordFigure(testInfo, { group, name: h.name, seconds, boundSeconds: bound(h).seconds, boundSource: bound(h).source });
    }));
  };
  const oldCa = (await activeAuthority(kube, root, 'x509')).upstreamAuthorityId;
  if (!oldCa) throw new Error(`${root.name}: its active X.509 authority names no upstream authority; is its UpstreamAuthority configured?`);

  const handshakes = keepHandshaking(kube, nested.workloads.b, nested.workloads.a);
  try {
    const newCa = await test.step(`put a new UpstreamAuthority CA in Secret ${nested.namespace}/root-upstream-ca (the old one is ${oldCa})`, () =>
      replaceUpstreamCa(kube, root, 'root-upstream-ca', `upstream-authority.example.org rotated ${new Date().toISOString()}`));
    const prepared = await test.step(`prepare a root CA at root-server signed by the new CA ${newCa.keyId}`, async () => {
      // The kubelet refreshes the mounted Secret within a second or two of the pod's annotation;
      // a prepare before that is signed by the old CA, and is prepared again.
      let p = await prepareX509Authority(kube, root);
      await expect.poll(async () => (p.upstreamAuthorityId === newCa.keyId ? p.upstreamAuthorityId : (p = await prepareX509Authority(kube, root)).upstreamAuthorityId),
        { message: `root-server's prepared authority is signed by the new CA (its mounted Secret refreshed)`, timeout: 60_000, intervals: [1000] }).toBe(newCa.keyId);
      return { ...p, at: Date.now() };
    });
    await test.step(`the new CA ${newCa.keyId} reaches every holder's bundle`, () =>
      everyHolder('X.509 CA prepared at root: new root in the bundle', prepared.at, (r) => r.includes(newCa.keyId), (h) => `${h.name} holds the new CA ${newCa.keyId}`));
    await test.step('prepared, not active: every workload\'s SVID still chains to the old CA', async () => {
      for (const w of workloads) {
        const svid = await fetchX509Svid(kube, w);
        expect(authorityKeyId(svid.chain.at(-1)!), `the issuer of the top of ${w.pod}'s chain, before activation`).toBe(oldCa);
      }
    });

    const tainted = await test.step(`activate ${prepared.id} at root-server, then taint the old CA ${oldCa}`, async () => {
      await activateX509Authority(kube, root, prepared.id);
      await taintUpstreamAuthority(kube, root, oldCa);
      return Date.now();
    });
    await test.step('every workload receives an X.509-SVID that chains through re-issued CAs to the new CA', async () => {
      await allChecks('workloads whose X.509-SVID does not chain to the new CA', workloads.map(async (w) => {
        const seconds = await secondsUntil(async () => authorityKeyId((await fetchX509Svid(kube, w)).chain.at(-1)!) === newCa.keyId, tainted, reissueBoundSeconds, `${w.pod}'s X.509-SVID chains to the new CA ${newCa.keyId}`);
        await recordFigure(testInfo, { group: 'X.509 CA tainted at root: SVIDs re-issued under the new one', name: w.spiffeId, seconds, boundSeconds: reissueBoundSeconds, boundSource: 'U1: servers see the taint at their next upstream update and re-issue their CA; A1: agents re-sign at their next sync' });
      }));
      for (const w of workloads) {
        const [svid, serverCa, rootCa] = await Promise.all([fetchX509Svid(kube, w), activeAuthority(kube, w.server, 'x509'), activeAuthority(kube, root, 'x509')]);
        expect(chainShapeViolations(svid.chain, {
          authorities: [{ name: w.server.name, authorityId: serverCa.id }, { name: root.name, authorityId: rootCa.id }],
          upstream: { name: `the new UpstreamAuthority CA ${newCa.keyId}`, cert: newCa.cert },
          bundleRoots: svid.bundle,
        }, `${w.pod}'s X.509-SVID`)).toHaveNoViolations(`the chain of ${w.pod}'s X.509-SVID after the taint`);
      }
    });

    const revoked = await test.step(`revoke the old CA ${oldCa} at root-server`, async () => {
      await revokeUpstreamAuthority(kube, root, oldCa);
      return Date.now();
    });
    await test.step(`the old CA ${oldCa} leaves every holder's bundle`, () =>
      everyHolder('X.509 CA revoked at root: old root gone', revoked, (r) => !r.includes(oldCa), (h) => `${h.name} no longer holds the revoked CA ${oldCa}`));
  } finally {
    const log = await handshakes.stop();
    console.log(`[lifecycle] X.509 rotation at root: mutual TLS tried ${log.rounds} times, ${log.failures.length} failed`);
    await testInfo.attach('mutual TLS rounds during the rotation.json', { body: JSON.stringify(log, null, 1), contentType: 'application/json' });
    // Judged even when a step above failed: a broken handshake is the finding that matters most.
    expect.soft(log.failures, `mutual TLS between ${nested.workloads.b.pod} and ${nested.workloads.a.pod}, tried ${log.rounds} times during the rotation`).toEqual([]);
  }
  // After the handshakes' monitor: the agents' pods are replaced, which it would count as failures.
  // spire#2149: an agent bootstraps from the bundle its server published; one left behind by the
  // rotation lets every running agent go on, and stops the next agent pod from attesting.
  await test.step('every agent\'s bootstrap bundle holds the new roots, and a new pod of every agent DaemonSet attests and serves SVIDs', async () => {
    let agents: string[] = [];
    await expect(async () => {
      const t = await observeTopology(kube, observeScope(cluster.instance, ['federated']));
      agents = t.agents.map((a) => a.name);
      expect(bootstrapCurrent(t).filter((f) => f.level !== 'pass').map(renderFinding), 'agents whose bootstrap bundle lacks their server\'s current roots').toEqual([]);
    }).toPass({ timeout: reissueBoundSeconds * 1000, intervals: [2000] });
    await Promise.all(agents.map(async (agent) => replacePod(kube, nested.namespace, await daemonSetPod(kube, nested.namespace, agent))));
    await allChecks('workloads without their X.509-SVID from their new agent pod', workloads.map(async (w) => {
      await secondsUntil(async () => (await x509SvidIds(kube, w).catch((): string[] => [])).includes(w.spiffeId), Date.now(), nextSyncBoundSeconds, `${w.pod} receives its X.509-SVID from its agent's new pod`);
    }));
  });
});
