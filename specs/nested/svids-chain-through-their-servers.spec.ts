// Proves the nested topology's chain of trust, certificate by certificate: a workload's X.509-SVID
// is signed by its own server's active CA (nestedA's or nestedB's, as `localauthority x509 show`
// names it), which root-server's active CA signed, which the UpstreamAuthority CA the suite
// generated for this deployment signed; and that CA is the root of the bundle the workload holds.
// Not merely "chains to some root".
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { activeAuthority } from '../../fixtures/spire-api/local-authorities.ts';
import { fetchX509Svid } from '../../fixtures/spire-api/svids.ts';
import { chainShapeViolations } from '../../fixtures/verify/chain-shape.ts';
import { x509 } from '../../fixtures/verify/x509.ts';

test.describe.configure({ lock: instanceLock });

for (const key of ['a', 'b'] as const) {
  test(`workload-${key}'s X.509-SVID chains through its server's CA, root-server's CA and the UpstreamAuthority CA`, async ({ cluster, nested }) => {
    const { kube } = cluster;
    const w = nested.workloads[key];
    const [svid, serverCa, rootCa, secret] = await Promise.all([
      fetchX509Svid(kube, w),
      activeAuthority(kube, w.server, 'x509'),
      activeAuthority(kube, nested.servers.root, 'x509'),
      kube.core.readNamespacedSecret({ name: 'root-upstream-ca', namespace: nested.namespace }),
    ]);
    const upstream = new x509.X509Certificate(Buffer.from(secret.data!['tls.crt']!, 'base64').toString());
    expect(chainShapeViolations(svid.chain, {
      authorities: [{ name: w.server.name, authorityId: serverCa.id }, { name: nested.servers.root.name, authorityId: rootCa.id }],
      upstream: { name: `the UpstreamAuthority CA the suite generated (Secret ${nested.namespace}/root-upstream-ca)`, cert: upstream },
      bundleRoots: svid.bundle,
    }, `workload-${key}'s X.509-SVID`)).toHaveNoViolations(`the chain of workload-${key}'s X.509-SVID`);
  });
}
