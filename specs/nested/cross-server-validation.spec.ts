// Proves an identity issued through one nested server is accepted under the other: JWT-SVIDs
// validate at the other agent (SPIRE's verdict) and in-process with jose against the other
// server's bundle (ours); X.509-SVIDs chain to the other's roots; the two workloads complete
// mutual TLS, each authorizing the other's SPIFFE ID.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { mutualTls } from '../../fixtures/spire/mtls.ts';
import { fetchJwtSvid, fetchX509Svid, serverBundle, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import { verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';
import { x509Roots } from '../../fixtures/verify/bundle.ts';
import { fromBase64Der, x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';

test.describe.configure({ lock: instanceLock });

for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
  const issuer = from === 'a' ? 'nestedA' : 'nestedB';
  const verifier = to === 'a' ? 'nestedA' : 'nestedB';

  test(`${verifier} accepts a JWT-SVID issued through ${issuer}`, async ({ cluster, nested }) => {
    const audience = `spire-conformance-${verifier}`;
    const source = nested.workloads[from];
    const target = nested.workloads[to];
    const svid = await test.step(`fetch a JWT-SVID from workload-${from} (via ${issuer}-agent)`, () => fetchJwtSvid(cluster.kube, source, audience));
    expect(svid.spiffeId).toBe(source.spiffeId);

    await test.step(`validate it at workload-${to} (spire-agent api validate jwt via ${verifier}-agent)`, async () => {
      const verdict = await validateJwtAtAgent(cluster.kube, target, audience, svid.token);
      expect(verdict.exitCode, `${verifier}-agent rejected the token: ${verdict.stderr || verdict.stdout}`).toBe(0);
      expect(verdict.stdout).toContain(source.spiffeId);
    });
    await test.step(`verify it with jose against ${verifier}-server's bundle`, async () => {
      const bundle = await serverBundle(cluster.kube, target.server);
      const { payload } = await verifyJwtSvid(svid.token, bundle, audience);
      expect(payload.sub).toBe(source.spiffeId);
    });
  });

  test(`an X.509-SVID issued through ${issuer} chains to the roots ${verifier} holds`, async ({ cluster, nested }) => {
    const source = nested.workloads[from];
    const svid = await test.step(`fetch an X.509-SVID from workload-${from}`, () => fetchX509Svid(cluster.kube, source));
    const roots = (await serverBundle(cluster.kube, nested.workloads[to].server).then(x509Roots)).map(fromBase64Der);
    expect(await x509SvidViolations(svid.chain, roots, source.spiffeId)).toHaveNoViolations(`X.509-SVID of workload-${from} checked against ${verifier}-server's roots`);
  });
}

test('workloads under nestedA and nestedB complete mutual TLS, each authorizing the other', async ({ cluster, nested }) => {
  const [a, b] = await test.step('fetch both workloads\' X.509-SVIDs and bundles', () =>
    Promise.all([fetchX509Svid(cluster.kube, nested.workloads.a), fetchX509Svid(cluster.kube, nested.workloads.b)]));
  const result = await test.step('handshake: workload-b serves, workload-a connects', () =>
    mutualTls(
      { chain: b.chain, key: b.keyPkcs8Der, trust: b.bundle, expectPeer: nested.workloads.a.spiffeId },
      { chain: a.chain, key: a.keyPkcs8Der, trust: a.bundle, expectPeer: nested.workloads.b.spiffeId },
    ));
  expect(result).toEqual({ serverSawClient: nested.workloads.a.spiffeId, clientSawServer: nested.workloads.b.spiffeId, echoed: 'spiffe-conformance' });
});
