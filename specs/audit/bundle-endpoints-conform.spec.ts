// Audit: every bundle endpoint serves its trust domain's bundle as its server holds it, as UTF-8
// JSON with an integer refresh hint (the configured one) and sequence, from a server presenting an
// X509-SVID for spiffe://<td>/spire/server that chains to the trust domain's roots (https_spiffe).
import { test, expect, notApplicable } from '../../fixtures/audit/audit.fixture.ts';
import { httpsGetPresented } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { serverPodName } from '../../fixtures/spire/cli.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { x509Authorities } from '../../fixtures/verify/bundle.ts';
import { bundleDifferences, servedBundleViolations } from '../../fixtures/verify/bundle-endpoint.ts';
import { fromBase64Der, x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';
import { x509 } from '../../fixtures/verify/x509.ts';

test('every bundle endpoint serves its bundle as held, as an X509-SVID-authenticated server', async ({ audit }) => {
  const endpoints = audit.topology.servers.filter((s) => s.bundleEndpoint);
  if (!endpoints.length) notApplicable('no audited server has a bundle endpoint');
  for (const s of endpoints) {
    const ref = audit.target.servers.find((r) => `${r.namespace}/${r.name}` === s.id)!;
    await test.step(`${s.id} :${s.bundleEndpoint!.port}`, async () => {
      const held = await serverBundle(audit.kube, ref);
      const r = await withPortForward(audit.kube, ref.namespace, serverPodName(ref), s.bundleEndpoint!.port, (port) => httpsGetPresented(`https://localhost:${port}/`));
      const served = servedBundleViolations(r.body, `${s.id} bundle endpoint`, s.bundleEndpoint!.refreshHintSeconds);
      expect.soft(served.violations).toHaveNoViolations(`the body ${s.id} serves`);
      const after = await serverBundle(audit.kube, ref);
      if (served.bundle && held.spiffe_sequence === after.spiffe_sequence) expect.soft(bundleDifferences(served.bundle, after, 'served', 'held')).toHaveNoViolations(`what ${s.id} serves against what it holds`);
      const chain = r.peerChain.map((der) => new x509.X509Certificate(Uint8Array.from(der)));
      const roots = x509Authorities(after).map((k) => fromBase64Der(k.x5c![0]!));
      expect.soft(await x509SvidViolations(chain, roots, `spiffe://${s.trustDomain}/spire/server`)).toHaveNoViolations(`the certificate chain ${s.id} presents`);
    });
  }
});
