// Proves federation refreshes by itself, both ways: a JWT key prepared at one trust domain's bundle
// endpoint server reaches the other's copy, then its workloads, within the bounds SPIRE's own
// rules give for the deployed configuration (no `federation refresh` anywhere); once the key
// signs, the holder's agent and jose accept a token signed by it.
import { decodeProtectedHeader } from 'jose';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { secondsUntil } from '../../fixtures/expect.ts';
import { judgedRelationships, verdictFor, verdictTable, waitUntilFresh } from '../../fixtures/spire/federation-state.ts';
import { activateJwtAuthority, prepareJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { federatedBundle, fetchJwtSvid, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import { jwtKids, workloadJwtKids } from '../../fixtures/verify/bundle.ts';
import { verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';
import { attachFact, recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('a JWT key prepared at either peer reaches the other trust domain by itself, within the model\'s lag, and then signs tokens it accepts', async ({ cluster, federated }, testInfo) => {
  const { kube } = cluster;
  // A spec before this one may just have published a key: fresh within the model's lag, or failed.
  const before = await test.step('every relationship fresh to start with (within the model\'s lag)', () => waitUntilFresh(kube, federated.topologyServers));
  await testInfo.attach('federation verdicts before.txt', { body: verdictTable(before) });
  await attachFact(testInfo, 'verdicts', 'as deployed', judgedRelationships(before));

  await Promise.all(federated.relationships.map(async (r) => {
    const timing = verdictFor(before, r.holder.name, r.peerDomain).timing;
    const direction = `${r.peer.name} → ${r.holder.name}`;
    const kid = await test.step(`${direction}: prepare a JWT key at ${r.peer.name}`, () => prepareJwtAuthority(kube, r.peer));
    const prepared = Date.now();
    const copyLag = await test.step(`${direction}: wait for ${kid} in ${r.holder.name}'s copy of ${r.peerDomain}`, () =>
      secondsUntil(async () => jwtKids(await federatedBundle(kube, r.holder, r.peerDomain)).includes(kid), prepared, timing.copyLagSeconds, `${r.holder.name}'s copy of ${r.peerDomain} holds ${kid}, prepared at ${r.peer.name}`));
    const holder = federated.workloadUnder[r.holder.name]!;
    const workloadLag = await test.step(`${direction}: wait for ${kid} at ${holder.pod}'s Workload API`, () =>
      secondsUntil(async () => workloadJwtKids((await fetchJwtSvid(kube, holder, 'spire-conformance-probe')).bundles[`spiffe://${r.peerDomain}`] ?? { keys: [] }).includes(kid), prepared, timing.workloadLagSeconds, `${holder.pod} receives ${kid} in its ${r.peerDomain} JWT bundle`));
    await recordFigure(testInfo, { group: 'federation refresh', name: `${direction}: copy`, seconds: copyLag, boundSeconds: timing.copyLagSeconds, boundSource: `H1: poll every ${timing.pollSeconds} s (refresh_hint ${timing.peerRefreshHintSeconds} s), + P1 cache` });
    await recordFigure(testInfo, { group: 'federation refresh', name: `${direction}: holder's workloads`, seconds: workloadLag, boundSeconds: timing.workloadLagSeconds, boundSource: 'copy lag + A1 agent sync' });
    console.log(`[federated] ${direction}: key in copy after ${copyLag.toFixed(1)} s (bound ${timing.copyLagSeconds} s), at the holder's workload after ${workloadLag.toFixed(1)} s (bound ${timing.workloadLagSeconds.toFixed(1)} s)`);

    await test.step(`${direction}: activate ${kid}; a token signed by it is accepted across`, async () => {
      await activateJwtAuthority(kube, r.peer, kid);
      const audience = `spire-conformance-refresh-${Date.now()}`;
      const peerSide = federated.workloadUnder[r.peer.name]!;
      const svid = await fetchJwtSvid(kube, peerSide, audience);
      expect(decodeProtectedHeader(svid.token).kid, `a new token from ${peerSide.pod} is signed by the activated key`).toBe(kid);
      const verdict = await validateJwtAtAgent(kube, holder, audience, svid.token);
      expect(verdict.exitCode, `${holder.pod} (agent of ${r.holder.name}) refused a token signed by ${kid}: ${verdict.stderr || verdict.stdout}`).toBe(0);
      const { payload } = await verifyJwtSvid(svid.token, await federatedBundle(kube, r.holder, r.peerDomain), audience);
      expect(payload.sub).toBe(peerSide.spiffeId);
    });
  }));
});
