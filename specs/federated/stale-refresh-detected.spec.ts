// The seed's real scenario (its known issue 2): trust domains whose bundle endpoints advertise the
// refresh hint SPIRE implied before 1.9 (the UpstreamAuthority CA's lifetime / 10, configured here
// explicitly) poll each other every few days, while a new JWT key signs 8 h after it is published.
// The detector judges that configuration at-risk before anything happens, names the peer's new key
// once a rotation leaves the copies stale, and the holders really refuse tokens signed by it. The
// seed's workaround (the topology's own short hint) is judged fresh. Both directions; every
// duration comes from the deployment.
import { test, expect, instanceLock } from '../../fixtures/fault-instance.ts';
import { decodeProtectedHeader } from 'jose';
import { fetchEndpoint } from '../../fixtures/checks/bundle-endpoint.ts';
import { observeFederation, shortestRootLifetime, waitForVerdicts, waitUntilFresh, verdictFor, verdictTable } from '../../fixtures/spire/federation-state.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { withServerConfig } from '../../fixtures/spire/server-restart.ts';
import { federatedBundle, fetchJwtSvid, serverBundle, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import { withRefreshHint } from '../../fixtures/topology/server-config.ts';
import { agentResyncSeconds, slackSeconds, spireRules } from '../../fixtures/verify/federation.ts';
import { verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';

test.describe.configure({ lock: instanceLock });

test('the seed\'s refresh hint is judged at-risk, then stale after a rotation, and the holders refuse the new key; the short hint is fresh', async ({ cluster, federated }, testInfo) => {
  const { kube } = cluster;
  const servers = federated.topologyServers;
  const peers = federated.relationships.map((r) => r.peer);

  const healthy = await test.step('the topology\'s own hint (the seed\'s workaround) is judged fresh both ways', () => waitUntilFresh(kube, servers));
  await testInfo.attach('verdicts: workaround.txt', { body: verdictTable(healthy) });

  // The hint SPIRE < 1.9 derived: the shortest X.509 root lifetime / 10 (for a year-long UpstreamAuthority CA, 876h).
  const seedHint = Object.fromEntries(await Promise.all(peers.map(async (p) => [p.name, Math.floor(shortestRootLifetime(await serverBundle(kube, p))! / spireRules.rootLifetimeHintDivisor)] as const)));
  testInfo.annotations.push({ type: 'configuration', description: `seed hints: ${Object.entries(seedHint).map(([n, s]) => `${n} ${s} s`).join(', ')}` });

  const tokens: { relationship: string; holder: typeof federated.workloads.c; audience: string; token: string }[] = [];
  const run = await test.step(`run ${peers.map((p) => p.name).join(' and ')} with the seed's hint`, () => withServerConfig(kube, peers, (text, ref) => withRefreshHint(text, `${seedHint[ref.name]}s`), async () => {
    await test.step('each peer\'s bundle endpoint serves the seed\'s hint: what SPIRE serves, not only what was written', async () => {
      const observed = await observeFederation(kube, servers);
      for (const p of peers) {
        const endpoint = observed.servers.find((s) => s.ref.name === p.name)?.config.bundleEndpoint;
        if (!endpoint) throw new Error(`${p.name} runs no bundle endpoint after its restart`);
        const served = await fetchEndpoint(kube, { url: `${p.name}'s bundle endpoint`, ref: p, trustDomain: '', port: endpoint.port, hintSeconds: seedHint[p.name]! });
        expect((JSON.parse(served.body.toString('utf8')) as { spiffe_refresh_hint?: number }).spiffe_refresh_hint, `${p.name}'s bundle endpoint serves spiffe_refresh_hint`).toBe(seedHint[p.name]);
      }
    });
    // A holder restarted with its peer may fail its first poll; it retries on its copy's hint (H3).
    const atRisk = await test.step('before any rotation: both relationships at-risk, naming lag and lead', () =>
      waitForVerdicts(kube, servers, (v) => v.verdict === 'at-risk', 'both relationships at-risk', (Math.max(...healthy.verdicts.map((v) => v.timing.retryAfterFailureSeconds ?? 60)) + 2 * slackSeconds) * 1000));
    await testInfo.attach('verdicts: seed hint, before rotation.txt', { body: verdictTable(atRisk) });
    for (const r of federated.relationships) {
      const v = verdictFor(atRisk, r.holder.name, r.peerDomain);
      expect(v.timing.peerRefreshHintSeconds, `${v.relationship}: the hint read from ${r.peer.name}'s ConfigMap`).toBe(seedHint[r.peer.name]);
      expect(v.timing.workloadLagSeconds, `${v.relationship}: lag against lead`).toBeGreaterThan(v.timing.leadSeconds);
      expect(v.reason).toMatch(/can take .* but signs .* after it is published .*refresh_hint to .* or less/);
    }

    const kids = Object.fromEntries(await Promise.all(peers.map(async (p) => [p.name, await test.step(`rotate ${p.name}'s JWT key (prepare, activate)`, () => rotateJwtAuthority(kube, p))] as const)));
    const stale = await test.step('after the rotation: both copies stale, each lacking exactly the peer\'s new key', () =>
      waitForVerdicts(kube, servers, (v) => v.verdict === 'stale', 'both relationships stale', slackSeconds * 1000));
    await testInfo.attach('verdicts: seed hint, after rotation.txt', { body: verdictTable(stale) });
    console.log(`[federated] after rotation under the seed's hint:\n${verdictTable(stale)}`);
    for (const r of federated.relationships) {
      const v = verdictFor(stale, r.holder.name, r.peerDomain);
      expect(v.missingKids, `${v.relationship}: the kid it lacks`).toEqual([kids[r.peer.name]]);
      expect(v.reason).toMatch(/may stay so up to \d+d/);
    }

    for (const r of federated.relationships) {
      await test.step(`${r.holder.name}'s workloads refuse a token signed by ${r.peer.name}'s new key`, async () => {
        const audience = `spire-conformance-stale-${Date.now()}`;
        const svid = await fetchJwtSvid(kube, federated.workloadUnder[r.peer.name]!, audience);
        expect(decodeProtectedHeader(svid.token).kid).toBe(kids[r.peer.name]);
        const holder = federated.workloadUnder[r.holder.name]!;
        const refusal = await validateJwtAtAgent(kube, holder, audience, svid.token);
        await testInfo.attach(`refusal at ${holder.pod}.txt`, { body: `exit ${refusal.exitCode}\n${refusal.stderr}${refusal.stdout}` });
        expect(refusal.exitCode, `${holder.pod} accepted a token signed by a key its server's copy lacks`).not.toBe(0);
        expect(refusal.stderr + refusal.stdout).toMatch(new RegExp(`${kids[r.peer.name]}|key.*not found|unable to find`, 'i'));
        await expect(verifyJwtSvid(svid.token, await federatedBundle(kube, r.holder, r.peerDomain), audience)).rejects.toThrow(/no applicable key|JWKSNoMatchingKey/);
        tokens.push({ relationship: `${r.holder.name} holds ${r.peerDomain}`, holder, audience, token: svid.token });
      });
    }
  }));

  await test.step('back on the short hint (each holder restarted after its peer, polling at once): both fresh, and the refused tokens now validate', async () => {
    const healed = await waitForVerdicts(kube, servers, (v) => v.verdict === 'fresh', 'both relationships fresh again', (Math.max(...healthy.verdicts.map((v) => v.timing.pollSeconds)) + 2 * slackSeconds) * 1000);
    await testInfo.attach('verdicts: restored.txt', { body: verdictTable(healed) });
    // The holders' agents were cut off from their restarting servers: they back off, and an attempt
    // may hang on a pod that just went (federation.ts A2, A3).
    const bound = agentResyncSeconds(run.restoreSeconds) + spireRules.agentDialTimeoutSeconds + slackSeconds;
    for (const t of tokens) {
      await expect.poll(async () => (await validateJwtAtAgent(kube, t.holder, t.audience, t.token)).exitCode, { message: `${t.relationship}: ${t.holder.pod} accepts the token it refused (bound ${bound.toFixed(0)} s after ${run.restoreSeconds.toFixed(0)} s of restarts)`, timeout: bound * 1000 }).toBe(0);
    }
  });
});
