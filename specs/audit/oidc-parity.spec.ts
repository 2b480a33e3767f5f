// Audit: each OIDC Discovery Provider, read the way a relying party reads it: through the Service
// that selects the provider (a cache or proxy in front of it is then what is judged), or the
// provider's own port when no Service selects it. It serves, at /keys, exactly the JWT signing
// keys of the server its agent reaches: the same kids, the same key material, a hygienic JWKS
// (fixtures/checks/oidc-keys.ts); and a discovery document naming the issuer its trust domain's
// tokens carry, a jwks_uri that answers, and their algorithms, refusing a Host outside its domains
// (fixtures/checks/oidc-discovery.ts). The suite's own checks, both.
import { test, expect, notChecked, type Audit } from '../../fixtures/audit/audit.fixture.ts';
import { providerRoute } from '../../fixtures/audit/provider-service.ts';
import { expectProviderServesServerKeys, type ProviderEndpoint } from '../../fixtures/checks/oidc-keys.ts';
import { expectDiscoveryForRelyingParties } from '../../fixtures/checks/oidc-discovery.ts';
import type { TopologyAgent, TopologyOidcProvider } from '../../fixtures/topology/model.ts';
import { expectedDiscovery, serverIssuersOf } from '../../fixtures/verify/oidc-discovery.ts';

/** The provider as a relying party reaches it, and the agent whose socket it reads. */
async function reach(audit: Audit, provider: TopologyOidcProvider): Promise<{ endpoint: ProviderEndpoint; agent: TopologyAgent }> {
  const agent = audit.topology.agents.find((a) => a.id === provider.agent);
  expect(agent, `${provider.id}: the agent whose Workload API socket it reads (its workload_api socket_path, on a hostPath or csi.spiffe.io volume)`).toBeDefined();
  expect(provider.pod, `${provider.id}: a running pod`).toBeDefined();
  const route = await providerRoute(audit.kube, provider);
  expect(typeof route === 'string' ? route : undefined, `${provider.id}: the Service in front of it`).toBeUndefined();
  const own = provider.httpPort ?? provider.httpsPort;
  if (!route && own === undefined) notChecked(`${provider.id} serves only on the Unix socket ${provider.socketOnly ?? '(none configured)'}, and no Service selects it`);
  const via = typeof route === 'object' ? route : { label: `${provider.id} (no Service selects it: its own port)`, pod: provider.pod!, targetPort: own!, scheme: provider.httpPort !== undefined ? 'http' as const : 'https' as const };
  return { endpoint: { label: via.label, namespace: provider.namespace, pod: via.pod, port: via.targetPort, host: provider.domains[0] ?? 'localhost', scheme: via.scheme }, agent: agent! };
}

const providers = (audit: Audit) => {
  if (!audit.topology.oidcProviders.length) notChecked('the audited deployment has no OIDC Discovery Provider');
  return audit.topology.oidcProviders;
};

test('every OIDC provider serves its trust domain\'s JWT keys at /keys, key for key, through its Service', async ({ audit }) => {
  for (const provider of providers(audit)) {
    await test.step(provider.id, async () => {
      const { endpoint, agent } = await reach(audit, provider);
      // The server its agent reaches signs what it serves; the others agree with it (servers-agree).
      const server = audit.serversIn(agent.trustDomain).find((s) => `${s.namespace}/${s.name}` === agent.server) ?? audit.serversIn(agent.trustDomain)[0];
      expect(server, `an audited server of ${agent.trustDomain}`).toBeDefined();
      await expectProviderServesServerKeys(audit.kube, endpoint, { label: `${server!.namespace}/${server!.pod}`, ref: server! });
    });
  }
});

test('every OIDC provider\'s discovery document names the issuer its trust domain\'s tokens carry, keys at its jwks_uri and their algorithms, through its Service', async ({ audit }) => {
  for (const provider of providers(audit)) {
    await test.step(provider.id, async () => {
      const { endpoint } = await reach(audit, provider);
      const { issuers } = serverIssuersOf(audit.topology, provider);
      await expectDiscoveryForRelyingParties(audit.kube, endpoint, expectedDiscovery(provider.domains, issuers, endpoint.scheme ?? 'http'), provider.domains);
    });
  }
});
