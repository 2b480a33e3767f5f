// Proves a relying party outside the mesh (a cloud, Vault) can trust SPIRE's JWT-SVIDs through
// the provider alone: a JWT-SVID issued through nestedB validates with jose's createRemoteJWKSet
// against the provider's /keys, as fetched over HTTP.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { fetchJwtSvid } from '../../fixtures/spire-api/svids.ts';

test.describe.configure({ lock: instanceLock });

test('a JWT-SVID issued through nestedB validates against the provider\'s /keys', async ({ cluster, nested, oidc }) => {
  const audience = 'spire-conformance-relying-party';
  const svid = await test.step('fetch a JWT-SVID from workload-b', () => fetchJwtSvid(cluster.kube, nested.workloads.b, audience));
  await withPortForward(cluster.kube, oidc.namespace, oidc.pod, oidc.podPort, async (port) => {
    // The provider answers for its configured domains only; localhost is one of them for this check.
    const jwks = createRemoteJWKSet(new URL(`http://localhost:${port}/keys`));
    const { payload } = await jwtVerify(svid.token, jwks, { audience });
    expect(payload.sub).toBe(nested.workloads.b.spiffeId);
  });
});
