// Proves what SPIRE issued follows the SPIFFE standards (SPIFFE-ID.md, X509-SVID.md, JWT-SVID.md,
// SPIFFE_Workload_API.md): one URI SAN, a valid SPIFFE ID equal to the workload's, critical Key
// Usage, a leaf that cannot sign certificates, CA signing certificates that carry their trust
// domain's ID; JWTs in compact form with only alg, kid and typ in the header, sub, exactly the
// requested aud, exp, an allowed alg and a kid from the bundle; Workload API responses with the leaf
// first, an unencrypted PKCS#8 key matching it, unique hints, and JWT bundles that include the own
// trust domain and nothing but JWT authorities. `npx tsx scripts/must-coverage.ts` lists the MUSTs.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { fetchJwtSvid, fetchX509Svids, serverBundle } from '../../fixtures/spire-api/svids.ts';
import { jwtResponseViolations, x509ResponseViolations } from '../../fixtures/verify/workload-api.ts';
import { jwtSvidViolations, verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';
import { x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';
import { attachDecodedToken } from '../../fixtures/report/redact.ts';

test.describe.configure({ lock: instanceLock });

for (const key of ['a', 'b'] as const) {
  test(`the X.509-SVID of workload-${key} conforms to X509-SVID.md`, async ({ cluster, nested }) => {
    const w = nested.workloads[key];
    const svids = await test.step(`fetch workload-${key}'s X.509-SVIDs`, () => fetchX509Svids(cluster.kube, w));
    expect(x509ResponseViolations({ svids }, `workload-${key}'s X.509 response`)).toHaveNoViolations(`the Workload API's X.509 response to workload-${key}`);
    const svid = svids.find((s) => s.spiffeId === w.spiffeId);
    if (!svid) throw new Error(`workload-${key} received no X.509-SVID for ${w.spiffeId} (got ${svids.map((s) => s.spiffeId).join(', ')})`);
    expect(svid.chain.length, 'leaf plus at least the nested server\'s CA').toBeGreaterThanOrEqual(2);
    expect(await x509SvidViolations(svid.chain, svid.bundle, w.spiffeId)).toHaveNoViolations(`X.509-SVID of workload-${key}`);
  });

  test(`the JWT-SVID of workload-${key} conforms to JWT-SVID.md`, async ({ cluster, nested }, testInfo) => {
    const w = nested.workloads[key];
    const audience = 'spire-conformance-standard';
    const svid = await test.step(`fetch workload-${key}'s JWT-SVID`, () => fetchJwtSvid(cluster.kube, w, audience));
    await attachDecodedToken(testInfo, `workload-${key}'s JWT-SVID`, svid.token);
    expect(jwtResponseViolations(svid, nested.trustDomain, `workload-${key}'s JWT response`)).toHaveNoViolations(`the Workload API's JWT response to workload-${key}`);
    const bundle = await serverBundle(cluster.kube, w.server);
    const { payload } = await verifyJwtSvid(svid.token, bundle, audience);
    expect(jwtSvidViolations(svid.token, bundle, w.spiffeId, audience, payload)).toHaveNoViolations(`JWT-SVID of workload-${key}`);
  });
}
