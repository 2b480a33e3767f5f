// Proves the discovery document is what relying parties need (issuer, jwks_uri pointing at /keys,
// signing algorithms), and that the provider refuses to describe itself for a Host outside its
// configured domains.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { httpGet } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';

test.describe.configure({ lock: instanceLock });

test('the discovery document names the issuer, /keys and the signing algorithms', async ({ cluster, oidc }) => {
  await withPortForward(cluster.kube, oidc.namespace, oidc.pod, oidc.podPort, async (port) => {
    const res = await httpGet(`http://localhost:${port}/.well-known/openid-configuration`, oidc.domain);
    expect(res.status, res.body.slice(0, 300)).toBe(200);
    const doc = JSON.parse(res.body) as Record<string, unknown>;
    expect(doc.issuer, 'issuer').toBe(`http://${oidc.domain}`);
    expect(doc.jwks_uri, 'jwks_uri').toBe(`http://${oidc.domain}/keys`);
    expect(doc.id_token_signing_alg_values_supported, 'id_token_signing_alg_values_supported').toEqual(expect.arrayContaining(['RS256', 'ES256']));
  });
});

test('a discovery request for a Host outside the provider\'s domains is refused', async ({ cluster, oidc }) => {
  // The provider builds issuer and jwks_uri from the Host it is asked for: answering any Host would
  // let a caller obtain a document that names an issuer of its choosing.
  await withPortForward(cluster.kube, oidc.namespace, oidc.pod, oidc.podPort, async (port) => {
    const res = await httpGet(`http://localhost:${port}/.well-known/openid-configuration`, 'attacker.example.com');
    expect(res.status, `discovery for Host attacker.example.com answered: ${res.body.slice(0, 200)}`).toBe(400);
    expect(res.body).not.toContain('attacker.example.com/keys');
  });
});
