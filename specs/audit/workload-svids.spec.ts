// Audit: each workload audit.yaml names receives, from its agent, an X.509-SVID and a JWT-SVID
// that conform to the SPIFFE standards and chain to (are signed by keys of) its trust domain's
// servers: what agents serve is what the servers hold.
import { test, expect, notApplicable } from '../../fixtures/audit/audit.fixture.ts';
import { attachDecodedToken } from '../../fixtures/report/redact.ts';
import { fetchJwtSvid, fetchX509Svid, serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtSvidViolations, verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';
import { x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';
import { x509Roots } from '../../fixtures/verify/bundle.ts';

test('every named workload receives conforming SVIDs its trust domain\'s servers vouch for', async ({ audit }, testInfo) => {
  if (!audit.target.workloads.length) notApplicable('audit.yaml names no workload');
  for (const w of audit.target.workloads) {
    await test.step(`${w.namespace}/${w.pod}`, async () => {
      const x509Svid = await fetchX509Svid(audit.kube, w);
      const domain = new URL(x509Svid.spiffeId).hostname;
      const server = audit.serversIn(domain)[0];
      expect(server, `an audited server of ${domain}, the trust domain of ${x509Svid.spiffeId}`).toBeDefined();
      const bundle = await serverBundle(audit.kube, server!);
      expect.soft(await x509SvidViolations(x509Svid.chain, x509Svid.bundle, x509Svid.spiffeId)).toHaveNoViolations(`X.509-SVID of ${w.pod}`);
      // What the agent serves as the trust domain's roots is what the server holds.
      const der = (c: { rawData: ArrayBuffer }) => Buffer.from(c.rawData).toString('base64');
      expect.soft({ [`${w.pod} (from its agent)`]: x509Svid.bundle.map(der), [server!.name]: x509Roots(bundle) }).toHaveEqualSets(`X.509 roots of ${domain}`);
      const audience = 'spire-k8s-conformance-audit';
      const jwt = await fetchJwtSvid(audit.kube, w, audience);
      await attachDecodedToken(testInfo, `${w.pod}'s JWT-SVID`, jwt.token);
      const { payload } = await verifyJwtSvid(jwt.token, bundle, audience);
      expect.soft(jwtSvidViolations(jwt.token, bundle, x509Svid.spiffeId, audience, payload)).toHaveNoViolations(`JWT-SVID of ${w.pod}`);
    });
  }
});
