// Proves a SPIRE server can be lost and come back without its workloads or its trust domains
// noticing. While the server is away (its pod deleted, none started in its place), the workload
// under its agent keeps receiving the X.509-SVID, bundle and JWT-SVID its agent cached, and a
// JWT-SVID for a new audience is refused (only the server signs those: the outage is real). When
// it returns, its datastore and keys are as before (entries, agents, federation relationships,
// X.509 and JWT authorities, counted through its API), its agent syncs with it again within the
// bound SPIRE's backoff gives, and the trust domains agree again: tokens validate across servers,
// federation is fresh.
import { test, expect, instanceLock } from '../../fixtures/fault-instance.ts';
import { secondsUntil } from '../../fixtures/expect.ts';
import type { Kube } from '../../fixtures/kube/client.ts';
import { spireAgentApi, type ServerRef } from '../../fixtures/spire-api/cli.ts';
import { withProbeEntry } from '../../fixtures/spire/probe-entries.ts';
import { waitUntilFresh, verdictTable } from '../../fixtures/spire/federation-state.ts';
import { serverInventory } from '../../fixtures/spire/inventory.ts';
import { waitForKidsToAgree } from '../../fixtures/spire/trust-domain.ts';
import { awaitLoggedFailure, daemonSetPod, withServerStopped } from '../../fixtures/spire/outage.ts';
import { fetchJwtSvid, fetchX509Svid, validateJwtAtAgent, x509SvidIds } from '../../fixtures/spire-api/svids.ts';
import type { NestedDeployment, WorkloadHandle } from '../../fixtures/modules/nested.ts';
import type { FederatedDeployment } from '../../fixtures/modules/federated.ts';
import { slackSeconds, spireRules } from '../../fixtures/verify/federation.ts';
import { inventoryLosses, inventorySummary } from '../../fixtures/verify/inventory.ts';
import { entitledIdentitiesViolations } from '../../fixtures/verify/workload-api.ts';
import { serverReturnBoundSeconds, upstreamReturnBoundSeconds } from '../../fixtures/verify/recovery.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

interface Case {
  label: string;
  pick: (n: NestedDeployment, f: FederatedDeployment) => { server: ServerRef; workload: WorkloadHandle; relyingParty: WorkloadHandle };
  /** The trust domains agree again once the server is back. */
  agreeAgain: (kube: Kube, n: NestedDeployment, f: FederatedDeployment) => Promise<void>;
}

const cases: Case[] = [
  {
    label: 'nestedA-server (a nested server)',
    pick: (n) => ({ server: n.servers.nestedA, workload: n.workloads.a, relyingParty: n.workloads.b }),
    // A nested server takes its upstream's bundle every U1.
    agreeAgain: (kube, n) => waitForKidsToAgree(kube, n.servers, upstreamReturnBoundSeconds(0) + slackSeconds),
  },
  {
    label: 'federated-server (a federated trust domain\'s server)',
    pick: (_, f) => ({ server: f.servers.federated, workload: f.workloads.f, relyingParty: f.workloads.c }),
    agreeAgain: async (kube, _, f) => {
      const o = await waitUntilFresh(kube, f.topologyServers);
      expect(o.verdicts.filter((v) => v.verdict !== 'fresh').map((v) => v.reason), `every relationship fresh again:\n${verdictTable(o)}`).toEqual([]);
    },
  },
];

for (const c of cases) {
  test(`${c.label} lost and back: its workloads keep their cached SVIDs meanwhile; it returns with its datastore and keys, and its agent syncs again in time`, async ({ cluster, nested, federated, instanceTopology }, testInfo) => {
    const { kube } = cluster;
    const { server, workload, relyingParty } = c.pick(nested, federated);
    const audience = `spire-conformance-cached-${Date.now()}`;
    const before = await test.step(`count ${server.name}'s datastore and keys`, () => serverInventory(kube, server));
    const cached = await test.step(`${workload.pod} fetches its X.509-SVID and a JWT-SVID (its agent caches both)`, async () => ({
      x509: await fetchX509Svid(kube, workload),
      jwt: await fetchJwtSvid(kube, workload, audience),
    }));

    // The agent that serves the workload: the one whose server_address reaches the server.
    const agent = instanceTopology.agents.find((a) => a.server === `${server.namespace}/${server.name}`);
    expect(agent, `the agent DaemonSet of ${server.name} in the observed topology`).toBeDefined();
    const outage = await withServerStopped(kube, server, async (downAt) => {
      // The outage as the agent meets it: its sync fails (what it serves next is what it kept).
      await test.step(`${server.name} away: ${agent!.name}'s sync fails, as its log says`, async () => {
        const pod = await daemonSetPod(kube, agent!.namespace, agent!.name);
        const failure = await awaitLoggedFailure(kube, { namespace: agent!.namespace, pod, container: 'spire-agent' }, 'Synchronize failed', downAt, (agent!.syncSeconds ?? spireRules.agentSyncSeconds) * 2);
        await testInfo.attach(`${agent!.name}: sync failed`, { body: `${failure.at.toISOString()} ${failure.msg}: ${failure.error}\n`, contentType: 'text/plain' });
        // Failed for the outage's reason (the server unreachable), not another (an agent refused, say).
        expect(failure.error, `${agent!.name}'s failed sync, at ${failure.at.toISOString()}`).toMatch(/code = Unavailable/);
      });
      await test.step(`${server.name} away: a JWT-SVID for a new audience is refused (the outage is real)`, async () => {
        const fresh = await spireAgentApi(kube, workload, ['fetch', 'jwt', '-audience', `${audience}-new`, '-timeout', '5s']);
        expect(fresh.exitCode, `${workload.pod} got a JWT-SVID for a new audience while ${server.name} was stopped: ${fresh.stdout.slice(0, 200)}`).not.toBe(0);
        await testInfo.attach(`${workload.pod}: JWT-SVID refused`, { body: `${fresh.stderr}${fresh.stdout}`, contentType: 'text/plain' });
        // Refused because its agent cannot reach the server (the outage), not for another reason.
        expect(fresh.stderr, `why ${workload.pod}'s agent refused a JWT-SVID for a new audience`).toMatch(/code = Unavailable desc = could not fetch JWT-SVID/);
      });
      await test.step(`${server.name} away: ${workload.pod} still receives its cached X.509-SVID, bundle and JWT-SVID`, async () => {
        const x509 = await fetchX509Svid(kube, workload);
        expect(x509.chain[0]!.serialNumber, `${workload.pod}'s X.509-SVID during the outage is the one its agent cached`).toBe(cached.x509.chain[0]!.serialNumber);
        expect(x509.chain[0]!.notAfter.getTime(), 'the cached X.509-SVID is still valid').toBeGreaterThan(Date.now());
        expect(x509.bundle.map((b) => b.serialNumber).sort(), `${workload.pod}'s bundle during the outage`).toEqual(cached.x509.bundle.map((b) => b.serialNumber).sort());
        const jwt = await fetchJwtSvid(kube, workload, audience);
        expect(jwt.token, `${workload.pod}'s JWT-SVID for ${audience} during the outage is the cached one`).toBe(cached.jwt.token);
      });
    });
    const awaySeconds = (outage.backAt - outage.stoppedAt) / 1000;

    await test.step(`${server.name} back: nothing lost (${inventorySummary(before)} before)`, async () => {
      const after = await serverInventory(kube, server);
      expect(inventoryLosses(before, after)).toHaveNoViolations(`${server.name}'s datastore and keys after the restart`);
    });
    const bound = serverReturnBoundSeconds(awaySeconds);
    const resync = await test.step(`${server.name} back: a new entry reaches ${workload.pod} (its agent synced again)`, () =>
      withProbeEntry(kube, server, workload.spiffeId, async (probeId) => {
        let ids: string[] = [];
        const seconds = await secondsUntil(async () => (ids = await x509SvidIds(kube, workload)).includes(probeId), outage.backAt, bound, `${workload.pod} receives an SVID for the new entry ${probeId} after ${server.name} returned`);
        // Asked for no particular ID, the workload gets both of its identities.
        expect(entitledIdentitiesViolations(ids, [workload.spiffeId, probeId], `${workload.pod}'s X.509 response`)).toHaveNoViolations(`${workload.pod}'s identities`);
        return seconds;
      }));
    await test.step('the trust domains agree again, and a token from its workload validates across', async () => {
      await c.agreeAgain(kube, nested, federated);
      const aud = `spire-conformance-after-${Date.now()}`;
      const svid = await fetchJwtSvid(kube, workload, aud);
      const verdict = await validateJwtAtAgent(kube, relyingParty, aud, svid.token);
      expect(verdict.exitCode, `${relyingParty.pod} refused a token ${workload.pod} got after ${server.name} returned: ${verdict.stderr || verdict.stdout}`).toBe(0);
    });
    await recordFigure(testInfo, { group: 'resilience', name: `${server.name} away (stopped → Ready again)`, seconds: awaySeconds });
    await recordFigure(testInfo, { group: 'resilience', name: `${server.name} back → its agent synced`, seconds: resync, boundSeconds: bound, boundSource: `A2: agent backoff after a ${awaySeconds.toFixed(0)} s outage, + one A1 sync` });
    console.log(`[resilience] ${server.name}: away ${awaySeconds.toFixed(1)} s; its agent synced ${resync.toFixed(1)} s after it was back (bound ${bound.toFixed(1)} s)`);
  });
}
