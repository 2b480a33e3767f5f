// Proves the discovery document is what relying parties need: asked for with the issuer's Host, it
// names the issuer every JWT-SVID of example.org carries (the servers' jwt_issuer), a jwks_uri
// that answers with keys, and their signing algorithms; and the provider refuses to describe
// itself for a Host outside its configured domains. The audit makes the same check
// (fixtures/checks/oidc-discovery.ts) on any deployment.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { expectDiscoveryForRelyingParties } from '../../fixtures/checks/oidc-discovery.ts';
import { expectedDiscovery, serverIssuersOf } from '../../fixtures/verify/oidc-discovery.ts';

test.describe.configure({ lock: instanceLock });

test('the discovery document names the tokens\' issuer, a jwks_uri serving the keys, and their algorithms; a Host outside the provider\'s domains is refused', async ({ cluster, oidc, instanceTopology: t }) => {
  const provider = t.oidcProviders.find((o) => o.namespace === oidc.namespace && o.name === oidc.service);
  expect(provider, `${oidc.namespace}/${oidc.service} in the observed topology`).toBeDefined();
  const { trustDomain, issuers } = serverIssuersOf(t, provider!);
  expect(trustDomain, `the trust domain of the agent ${provider!.id} reads (${provider!.agent ?? 'none found'})`).toBe(oidc.trustDomain);
  await expectDiscoveryForRelyingParties(cluster.kube,
    { label: provider!.id, namespace: oidc.namespace, pod: oidc.pod, port: oidc.podPort, host: oidc.domain, scheme: 'http' },
    expectedDiscovery(provider!.domains, issuers, 'http'), provider!.domains);
});
