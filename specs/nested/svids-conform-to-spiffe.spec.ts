// Proves what SPIRE issued follows the SPIFFE standards (X509-SVID.md, JWT-SVID.md): one URI SAN
// equal to the SPIFFE ID, a leaf that cannot sign certificates, CA signing certificates; JWTs with
// sub, the requested aud, exp, an allowed alg and a kid from the bundle.
import { test, expect } from '../../fixtures/index.ts';
import { fetchJwtSvid, fetchX509Svid, serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtSvidViolations, verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';
import { x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';
import { attachDecodedToken } from '../../fixtures/report/redact.ts';

for (const key of ['a', 'b'] as const) {
  test(`the X.509-SVID of workload-${key} conforms to X509-SVID.md`, async ({ cluster, nested }) => {
    const w = nested.workloads[key];
    const svid = await test.step(`fetch workload-${key}'s X.509-SVID`, () => fetchX509Svid(cluster.kube, w));
    expect(svid.spiffeId).toBe(w.spiffeId);
    expect(svid.chain.length, 'leaf plus at least the nested server\'s CA').toBeGreaterThanOrEqual(2);
    expect(await x509SvidViolations(svid.chain, svid.bundle, w.spiffeId)).toHaveNoViolations(`X.509-SVID of workload-${key}`);
  });

  test(`the JWT-SVID of workload-${key} conforms to JWT-SVID.md`, async ({ cluster, nested }, testInfo) => {
    const w = nested.workloads[key];
    const audience = 'spire-conformance-standard';
    const svid = await test.step(`fetch workload-${key}'s JWT-SVID`, () => fetchJwtSvid(cluster.kube, w, audience));
    await attachDecodedToken(testInfo, `workload-${key}'s JWT-SVID`, svid.token);
    const bundle = await serverBundle(cluster.kube, w.server);
    const { payload } = await verifyJwtSvid(svid.token, bundle, audience);
    expect(jwtSvidViolations(svid.token, bundle, w.spiffeId, audience, payload)).toHaveNoViolations(`JWT-SVID of workload-${key}`);
  });
}
