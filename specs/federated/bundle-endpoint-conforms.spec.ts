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
import { expectHygienicJwks } from '../../fixtures/expect.ts';
import { httpsGetPresented } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { observeFederation, waitForVerdicts } from '../../fixtures/spire/federation-state.ts';
import { serverPodName } from '../../fixtures/spire/cli.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtKids, x509Authorities, type SpiffeBundle } from '../../fixtures/verify/bundle.ts';
import { bundleDifferences, endpointCertificateViolations, servedBundleViolations, servedWithoutClientCertificate, tlsViolations } from '../../fixtures/verify/bundle-endpoint.ts';
import { bundleKeyViolations } from '../../fixtures/verify/bundle-shape.ts';
import { slackSeconds, spireRules } from '../../fixtures/verify/federation.ts';
import { fromBase64Der } from '../../fixtures/verify/x509-svid.ts';
import { x509 } from '../../fixtures/verify/x509.ts';

test.describe.configure({ lock: instanceLock });

test('every bundle endpoint serves its trust domain\'s bundle to its peers, as an X509-SVID-authenticated server', async ({ cluster, federated }, testInfo) => {
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
    const hint = config.bundleEndpoint!.refreshHintSeconds;
    const getPresented = () => withPortForward(kube, ref.namespace, serverPodName(ref), config.bundleEndpoint!.port, (port) => httpsGetPresented(`https://localhost:${port}/`));

    await test.step(`${e.url}: serves ${ref.name}'s bundle, as held, to a client that presents no certificate (F12, F13, F27, F28)`, async () => {
      // Compare against `bundle show` taken on both sides of the fetch, so a concurrent change cannot pass for a difference.
      await expect.poll(async () => {
        const before = await serverBundle(kube, ref);
        const served = servedBundleViolations((await getPresented()).body, e.url).bundle;
        const after = await serverBundle(kube, ref);
        if (!served) return ['(the body is not a bundle: see the next step)'];
        return before.spiffe_sequence !== after.spiffe_sequence ? ['(the bundle changed during the fetch)'] : bundleDifferences(served, after, e.url, `${ref.name} bundle show`);
      }, { message: `${e.url} serves what ${ref.name} holds`, timeout: slackSeconds * 1000 }).toEqual([]);
    });

    const presented = await test.step(`${e.url}: UTF-8 JSON with integer refresh hint (${hint} s, as configured) and sequence, well-formed keys, to a client without a certificate, over Mozilla-intermediate TLS (F5, F12, F27, F14, F29, B2, B4, B5, B9, B11, X21–X24, J15–J16)`, async () => {
      const r = await getPresented();
      expect(servedWithoutClientCertificate(r.status, e.url)).toHaveNoViolations(`${e.url} to a client without a certificate`);
      expect(tlsViolations(r.protocol, r.cipher, e.url)).toHaveNoViolations(`${e.url}'s TLS (${r.protocol}, ${r.cipher})`);
      const served = servedBundleViolations(r.body, e.url, hint);
      expect(served.violations).toHaveNoViolations(`the body of ${e.url}`);
      if (served.bundle) {
        expect(bundleKeyViolations(served.bundle, e.url)).toHaveNoViolations(`the keys ${e.url} serves`);
        expectHygienicJwks(served.bundle.keys, e.url);
      }
      await testInfo.attach(`${ref.name} bundle endpoint body.json`, { body: r.body, contentType: 'application/json' });
      return { ...r, bundle: served.bundle! };
    });

    await test.step(`${e.url}: presents an X509-SVID for spiffe://${e.trustDomain}/spire/server chaining to the trust domain's roots (F26, https_spiffe)`, async () => {
      const chain = presented.peerChain.map((der) => new x509.X509Certificate(Uint8Array.from(der)));
      const roots = x509Authorities(await serverBundle(kube, ref)).map((k) => fromBase64Der(k.x5c![0]!));
      await testInfo.attach(`${ref.name} bundle endpoint certificates.pem`, { body: chain.map((c) => c.toString('pem')).join('\n') });
      expect(await endpointCertificateViolations(chain, roots, e.trustDomain)).toHaveNoViolations(`the certificate chain ${e.url} presents`);
    });

    await test.step(`${e.url}: the sequence goes up when the bundle changes (B2, B3)`, async () => {
      const before = presented.bundle.spiffe_sequence!;
      const kid = await rotateJwtAuthority(kube, ref);
      let after: SpiffeBundle | undefined;
      await expect.poll(async () => jwtKids(after = servedBundleViolations((await getPresented()).body, e.url).bundle ?? { keys: [] }).includes(kid), { message: `${e.url} serves the new key ${kid} (its datastore cache: ${spireRules.datastoreCacheSeconds} s)`, timeout: (spireRules.datastoreCacheSeconds + slackSeconds) * 1000 }).toBe(true);
      expect(after!.spiffe_sequence, `${e.url}: sequence before the new key ${before}, after`).toBeGreaterThan(before);
    });
  }
});
