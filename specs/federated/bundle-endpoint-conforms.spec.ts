// Proves every bundle endpoint of the topology keeps the SPIFFE federation contract. Its peers reach
// it inside the cluster by the URL they poll (a Service DNS name): the holders' own logs show them
// fetching it successfully while the spec runs. The suite's own client (through a port-forward to
// the endpoint's pod), presenting no certificate, gets the trust domain's bundle exactly as its
// server holds it, as UTF-8 JSON with an integer refresh hint (the configured one) and sequence;
// the certificate it presents is an X509-SVID for spiffe://<td>/spire/server chaining to the trust
// domain's roots (https_spiffe); and the sequence goes up when the bundle changes.
// F12–F14, F26–F29, B2–B5. (A busybox pod cannot be the in-cluster client: its built-in TLS shares
// no cipher suite with Go's servers, "no shared cipher".)
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { expectBundleEndpointConforms, fetchEndpoint } from '../../fixtures/checks/bundle-endpoint.ts';
import { observeFederation, waitForVerdicts } from '../../fixtures/spire/federation-state.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { jwtKids, type SpiffeBundle } from '../../fixtures/verify/bundle.ts';
import { servedBundleViolations } from '../../fixtures/verify/bundle-endpoint.ts';
import { slackSeconds, spireRules } from '../../fixtures/verify/federation.ts';

test.describe.configure({ lock: instanceLock });

test('every bundle endpoint serves its trust domain\'s bundle to its peers, as an X509-SVID-authenticated server', async ({ cluster, federated }) => {
  const { kube } = cluster;
  const observed = await test.step('read the topology: every relationship\'s endpoint URL and the server behind it', () => observeFederation(kube, federated.topologyServers));
  const endpoints = [...new Map(observed.verdicts.map((v) => [v.url!, v])).values()].map((v) => ({ url: v.url!, server: observed.servers.find((s) => s.ref.name === v.peer)!, trustDomain: v.peerTrustDomain }));
  expect(endpoints.map((e) => e.server.ref.name).sort(), 'the servers whose bundle endpoints peers poll').toEqual(observed.servers.filter((s) => s.config.bundleEndpoint).map((s) => s.ref.name).sort());

  // Every endpoint's peers poll on their own clocks: one wait covers them all.
  await test.step(`${endpoints.map((e) => e.url).join(', ')}: their peers fetch them inside the cluster, by those URLs (their own logs)`, async () => {
    // Log timestamps have whole seconds.
    const since = Math.floor(Date.now() / 1000) * 1000 - 1000;
    const bound = Math.max(...observed.verdicts.map((v) => v.timing.pollSeconds)) + slackSeconds;
    await waitForVerdicts(kube, federated.topologyServers, (v) => v.sinceLastSuccessSeconds !== undefined && Date.now() - v.sinceLastSuccessSeconds * 1000 >= since,
      `every holder fetched its peer's bundle endpoint successfully since the step began`, bound * 1000);
  });

  for (const e of endpoints) {
    const { ref, config } = e.server;
    const endpoint = { url: e.url, ref, trustDomain: e.trustDomain, port: config.bundleEndpoint!.port, hintSeconds: config.bundleEndpoint!.refreshHintSeconds };
    const presented = await expectBundleEndpointConforms(kube, endpoint);

    await test.step(`${e.url}: the sequence goes up when the bundle changes (B2, B3)`, async () => {
      const before = presented.bundle.spiffe_sequence!;
      const kid = await rotateJwtAuthority(kube, ref);
      let after: SpiffeBundle | undefined;
      await expect.poll(async () => jwtKids(after = servedBundleViolations((await fetchEndpoint(kube, endpoint)).body, e.url).bundle ?? { keys: [] }).includes(kid), { message: `${e.url} serves the new key ${kid} (its datastore cache: ${spireRules.datastoreCacheSeconds} s)`, timeout: (spireRules.datastoreCacheSeconds + slackSeconds) * 1000 }).toBe(true);
      expect(after!.spiffe_sequence, `${e.url}: sequence before the new key ${before}, after`).toBeGreaterThan(before);
    });
  }
});
