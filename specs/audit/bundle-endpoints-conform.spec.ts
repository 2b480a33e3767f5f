// Audit: every bundle endpoint of the audited servers, on every replica, gets every check the
// suite makes of its own (fixtures/checks/bundle-endpoint.ts): the bundle as held, UTF-8 JSON with
// the configured integer refresh hint and a sequence, well-formed and hygienic keys,
// Mozilla-intermediate TLS, an X509-SVID for spiffe://<td>/spire/server chaining to the roots. The
// sequence's increase needs a change of the bundle, which a read-only audit does not make.
import { test, notChecked } from '../../fixtures/audit/audit.fixture.ts';
import { expectBundleEndpointConforms } from '../../fixtures/checks/bundle-endpoint.ts';

test('every bundle endpoint serves its bundle as held, as an X509-SVID-authenticated server', async ({ audit }) => {
  const endpoints = audit.topology.servers.filter((s) => s.bundleEndpoint);
  if (!endpoints.length) notChecked('no audited server has a bundle endpoint (federation { bundle_endpoint { … } })');
  for (const s of endpoints) {
    const url = audit.topology.relationships.find((r) => r.peer === s.id)?.url ?? `https://${s.name}.${s.namespace}.svc:${s.bundleEndpoint!.port}`;
    // A peer polling the Service may reach any replica: each must serve what it holds.
    for (const ref of audit.target.replicas[s.id] ?? []) {
      await test.step(`${s.id} (${ref.pod}) :${s.bundleEndpoint!.port}`, () =>
        expectBundleEndpointConforms(audit.kube, { url, ref, trustDomain: s.trustDomain, port: s.bundleEndpoint!.port, hintSeconds: s.bundleEndpoint!.refreshHintSeconds }));
    }
  }
});
