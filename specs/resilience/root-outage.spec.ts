// Proves the nested topology's promise: with root-server away, nestedA and nestedB keep issuing to
// their workloads, new X.509-SVIDs for new entries and JWT-SVIDs for new audiences, signed by their
// own CAs (which chain to the roots their workloads hold), for as long as those CAs live; when
// root returns, its datastore and keys are as before, and a JWT key it publishes reaches both nested
// servers within U1's bound (they follow their upstream again).
import { test, expect, instanceLock } from '../../fixtures/fault-instance.ts';
import { allChecks, secondsUntil } from '../../fixtures/expect.ts';
import { withProbeEntry } from '../../fixtures/spire/probe-entries.ts';
import { serverInventory } from '../../fixtures/spire/inventory.ts';
import { awaitLoggedFailure, withServerStopped } from '../../fixtures/spire/outage.ts';
import { serverContainer, serverPodName } from '../../fixtures/spire-api/cli.ts';
import { prepareJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { fetchJwtSvid, fetchX509Svids, serverBundle, type X509Svid } from '../../fixtures/spire-api/svids.ts';
import { waitForKidsToAgree } from '../../fixtures/spire/trust-domain.ts';
import { activeAuthority } from '../../fixtures/spire-api/local-authorities.ts';
import { jwtKids } from '../../fixtures/verify/bundle.ts';
import { slackSeconds, spireRules } from '../../fixtures/verify/federation.ts';
import { inventoryLosses, inventorySummary } from '../../fixtures/verify/inventory.ts';
import { nextSyncBoundSeconds, upstreamReturnBoundSeconds } from '../../fixtures/verify/recovery.ts';
import { x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('with root-server away, nestedA and nestedB keep issuing SVIDs to their workloads; root returns with its datastore, and the nested servers follow it again', async ({ cluster, nested }, testInfo) => {
  const { kube } = cluster;
  const { root } = nested.servers;
  const before = await test.step('count root-server\'s datastore and keys', () => serverInventory(kube, root));
  const issuers = [{ server: nested.servers.nestedA, workload: nested.workloads.a }, { server: nested.servers.nestedB, workload: nested.workloads.b }];

  const outage = await withServerStopped(kube, root, async (downAt) => {
    // The outage as the nested servers meet it: each logs a failed upstream poll (U1: every 5 s).
    await allChecks('nested servers that did not see root go', issuers.map(({ server }) => test.step(`root away: ${server.name}'s upstream poll fails, as its log says`, async () => {
      const failure = await awaitLoggedFailure(kube, { namespace: server.namespace, pod: serverPodName(server), container: serverContainer(server) }, 'Failed to fetch bundle while polling', downAt, spireRules.upstreamPollSeconds * 2);
      await testInfo.attach(`${server.name}: upstream poll failed`, { body: `${failure.at.toISOString()} ${failure.msg}: ${failure.error}\n`, contentType: 'text/plain' });
      console.log(`[resilience] ${server.name}: upstream poll failed ${failure.seconds.toFixed(1)} s after root-server went: ${failure.error}`);
      expect(failure.error, `${server.name}'s failed upstream poll, at ${failure.at.toISOString()}`).toMatch(/code = Unavailable/);
    })));
    // Every branch finishes (and removes its probe entry) before the outage ends, even when the other failed.
    await allChecks('nested servers that did not issue without root', issuers.map(async ({ server, workload }) => {
      await test.step(`root away: ${server.name} signs a JWT-SVID for a new audience for ${workload.pod}`, async () => {
        const jwt = await fetchJwtSvid(kube, workload, `spire-conformance-rootless-${Date.now()}`);
        expect(jwt.spiffeId).toBe(workload.spiffeId);
      });
      await test.step(`root away: ${server.name} issues an X.509-SVID for a new entry to ${workload.pod}`, () =>
        withProbeEntry(kube, server, workload.spiffeId, async (probeId) => {
          let svid: X509Svid | undefined;
          await secondsUntil(async () => !!(svid = (await fetchX509Svids(kube, workload)).find((s) => s.spiffeId === probeId)), Date.now(), nextSyncBoundSeconds, `${workload.pod} receives an X.509-SVID for ${probeId} from ${server.name} while root-server is stopped`);
          if (!svid) throw new Error(`${workload.pod} received no X.509-SVID for ${probeId}`);
          expect(await x509SvidViolations(svid.chain, svid.bundle, probeId)).toHaveNoViolations(`the X.509-SVID ${server.name} issued for ${probeId} without root`);
          const caExpires = (await activeAuthority(kube, server, 'x509')).expiresAt * 1000;
          expect(svid.chain[0]!.notAfter.getTime(), `the SVID does not outlive ${server.name}'s CA`).toBeLessThanOrEqual(caExpires);
          // How long this server can go on issuing without its upstream: its CA's remaining life.
          await recordFigure(testInfo, { group: 'resilience', name: `${server.name} can issue without root for`, seconds: (caExpires - Date.now()) / 1000 });
        }));
    }));
  });
  const awaySeconds = (outage.backAt - outage.stoppedAt) / 1000;
  // Measured from the key's preparation, which follows root's return: the reconnect (U2) counts from the return.
  const bound = upstreamReturnBoundSeconds(awaySeconds);

  await test.step(`root back: nothing lost (${inventorySummary(before)} before)`, async () => {
    expect(inventoryLosses(before, await serverInventory(kube, root))).toHaveNoViolations('root-server\'s datastore and keys after the restart');
  });
  const kid = await test.step('root back: it publishes a new JWT key', () => prepareJwtAuthority(kube, root));
  const prepared = Date.now();
  const follow = await test.step(`root back: nestedA and nestedB take ${kid} from it`, () =>
    secondsUntil(async () => {
      const sets = await Promise.all([nested.servers.nestedA, nested.servers.nestedB].map(async (s) => jwtKids(await serverBundle(kube, s))));
      return sets.every((s) => s.includes(kid));
    }, prepared, bound, `nestedA-server and nestedB-server hold ${kid}, prepared at root-server after its return`));
  await test.step('the trust domain agrees again', () => waitForKidsToAgree(kube, nested.servers, bound + slackSeconds));
  await recordFigure(testInfo, { group: 'resilience', name: 'root-server away (stopped → Ready again)', seconds: awaySeconds });
  await recordFigure(testInfo, { group: 'resilience', name: 'root-server back → nested servers follow its bundle', seconds: follow, boundSeconds: bound, boundSource: `U2: gRPC reconnect backoff after a ${awaySeconds.toFixed(0)} s outage, + U1: one upstream poll (5 s), + datastore cache` });
  console.log(`[resilience] root-server: away ${awaySeconds.toFixed(1)} s; nested servers had its new key ${follow.toFixed(1)} s after it was prepared (bound ${bound.toFixed(1)} s)`);
});
