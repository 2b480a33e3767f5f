// Proves one unreachable federation peer breaks nothing local (spiffe/spire#7146 asks exactly
// this): with federated-server's bundle endpoint refusing connections (its Service port pointed
// at nothing, the server itself running), nestedC-server sees its polls fail, keeps the copy of
// auxiliary.org it had (a key the peer publishes meanwhile does not reach it), its workload keeps
// receiving identities (a new entry's SVID too) with the auxiliary.org bundle, and a token from
// auxiliary.org still validates there against the kept copy. When the endpoint is back, the copy
// takes the key within the retry SPIRE schedules from the kept copy's hint (H3).
import { test, expect, instanceLock } from '../../fixtures/fault-instance.ts';
import { allChecks, secondsUntil } from '../../fixtures/expect.ts';
import { withProbeEntry } from '../../fixtures/spire/probe-entries.ts';
import { observeFederation, verdictFor, verdictTable, waitForVerdicts, waitUntilFresh } from '../../fixtures/spire/federation-state.ts';
import { awaitLoggedFailure, withServicePortClosed } from '../../fixtures/spire/outage.ts';
import { serverContainer, serverPodName } from '../../fixtures/spire-api/cli.ts';
import { prepareJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { federatedBundle, fetchJwtSvid, fetchX509Svids, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import { jwtKids, x509Roots } from '../../fixtures/verify/bundle.ts';
import { slackSeconds } from '../../fixtures/verify/federation.ts';
import { nextSyncBoundSeconds, peerReturnBoundSeconds } from '../../fixtures/verify/recovery.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('an unreachable federation peer leaves the holder\'s copy, its workloads\' identities and federated validation working; refresh resumes when the peer is back', async ({ cluster, federated }, testInfo) => {
  const { kube } = cluster;
  const rel = federated.relationships.find((r) => r.holder.name === federated.servers.nestedC.name);
  if (!rel) throw new Error(`no relationship held by ${federated.servers.nestedC.name} among ${federated.relationships.map((r) => `${r.holder.name} ← ${r.peerDomain}`).join(', ')}`);
  const { holder, peer, peerDomain } = rel;
  const endpoint = new URL(rel.spec.bundleEndpointURL);
  const [service, namespace = holder.namespace] = endpoint.hostname.split('.');
  const local = federated.workloadUnder[holder.name]!;
  const remote = federated.workloadUnder[peer.name]!;

  const before = await test.step(`${holder.name} holds a fresh copy of ${peerDomain} to start with`, async () => {
    const o = await observeFederation(kube, federated.topologyServers);
    const v = verdictFor(o, holder.name, peerDomain);
    expect(v.verdict, v.reason).toBe('fresh');
    return { verdict: v, copy: await federatedBundle(kube, holder, peerDomain) };
  });
  const retry = before.verdict.timing.retryAfterFailureSeconds ?? before.verdict.timing.pollSeconds;

  let kid = '';
  const outage = await withServicePortClosed(kube, namespace, service!, Number(endpoint.port), async (closedAt) => {
    await test.step(`${rel.spec.bundleEndpointURL} refuses connections: ${holder.name} logs its poll failing`, async () => {
      const o = await waitForVerdicts(kube, federated.topologyServers, (v) => v.holder !== holder.name || v.verdict === 'not-refreshing',
        `${holder.name}'s poll of ${peerDomain} failing`, (before.verdict.timing.pollSeconds + slackSeconds) * 1000);
      await testInfo.attach('verdicts while the peer is unreachable.txt', { body: verdictTable(o) });
    });
    kid = await test.step(`${peer.name} publishes a JWT key the holder cannot fetch now`, () => prepareJwtAuthority(kube, peer));
    const publishedAt = Date.now();
    // The holder's next poll is on its own clock: its workload's identities are checked meanwhile.
    await allChecks(`what ${holder.name} and ${local.pod} keep while ${rel.spec.bundleEndpointURL} is unreachable`, [
      test.step(`${holder.name} keeps its copy of ${peerDomain} (a failed poll replaces nothing)`, async () => {
        // A poll after the key was published has failed too, as the holder's log says (its retry clock).
        const failure = await awaitLoggedFailure(kube, { namespace: holder.namespace, pod: serverPodName(holder), container: serverContainer(holder) }, 'Error updating bundle', publishedAt, retry, { subsystem_name: 'bundle_client', trust_domain: peerDomain });
        await testInfo.attach(`${holder.name}: poll failed after ${kid} was published`, { body: `${failure.at.toISOString()} ${failure.msg}: ${failure.error}\n`, contentType: 'text/plain' });
        const copy = await federatedBundle(kube, holder, peerDomain);
        expect({ kids: jwtKids(copy), roots: x509Roots(copy) }, `${holder.name}'s copy of ${peerDomain} while ${rel.spec.bundleEndpointURL} is unreachable`)
          .toEqual({ kids: jwtKids(before.copy), roots: x509Roots(before.copy) });
      }),
      (async () => {
        await test.step(`${local.pod} gets an SVID for a new entry, with the ${peerDomain} bundle beside it`, () =>
          withProbeEntry(kube, holder, local.spiffeId, async (probeId) => {
            await secondsUntil(async () => (await fetchX509Svids(kube, local)).some((s) => s.spiffeId === probeId), Date.now(), nextSyncBoundSeconds, `${local.pod} receives an X.509-SVID for ${probeId} while ${peerDomain}'s endpoint is unreachable`);
            const svids = await fetchX509Svids(kube, local);
            const fedRoots = svids[0]!.federatedBundles[`spiffe://${peerDomain}`] ?? [];
            expect(fedRoots.length, `${local.pod} still receives the ${peerDomain} bundle`).toBeGreaterThan(0);
          }));
        await test.step(`a token from ${remote.pod} (${peerDomain}) still validates at ${local.pod}, against the kept copy`, async () => {
          const audience = `spire-conformance-unreachable-${Date.now()}`;
          const svid = await fetchJwtSvid(kube, remote, audience);
          const verdict = await validateJwtAtAgent(kube, local, audience, svid.token);
          expect(verdict.exitCode, `${local.pod} refused a ${peerDomain} token while the peer's endpoint was unreachable: ${verdict.stderr || verdict.stdout}`).toBe(0);
        });
      })(),
    ]);
    return closedAt;
  });
  const unreachableSeconds = (outage.restoredAt - outage.value) / 1000;

  const bound = peerReturnBoundSeconds(retry);
  const resumed = await test.step(`endpoint back: ${kid} reaches ${holder.name}'s copy by itself`, () =>
    secondsUntil(async () => jwtKids(await federatedBundle(kube, holder, peerDomain)).includes(kid), outage.restoredAt, bound, `${holder.name}'s copy of ${peerDomain} holds ${kid} after ${rel.spec.bundleEndpointURL} is reachable again`));
  await test.step('every relationship fresh again', async () => {
    const o = await waitUntilFresh(kube, federated.topologyServers);
    expect(o.verdicts.filter((v) => v.verdict !== 'fresh').map((v) => v.reason)).toEqual([]);
  });
  await recordFigure(testInfo, { group: 'resilience', name: `${peerDomain} endpoint unreachable from ${holder.name}`, seconds: unreachableSeconds });
  await recordFigure(testInfo, { group: 'resilience', name: `${peerDomain} endpoint back → ${holder.name}'s copy refreshed`, seconds: resumed, boundSeconds: bound, boundSource: `H3: after a failed poll the holder retries on its kept copy's hint (every ${retry} s), + P1 cache` });
  console.log(`[resilience] ${peerDomain} endpoint unreachable ${unreachableSeconds.toFixed(1)} s; ${holder.name}'s copy refreshed ${resumed.toFixed(1)} s after it was back (bound ${bound.toFixed(1)} s)`);
});
