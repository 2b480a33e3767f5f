// Audit: each OIDC Discovery Provider serves, at /keys, exactly the JWT signing keys of the server
// its agent reaches: the same kids, the same key material, a hygienic JWKS (the suite's own check,
// fixtures/checks/oidc-keys.ts), read the way a relying party reads it: through the Service that
// selects the provider (a cache or proxy in front of it is then what is judged), or the provider's
// own port when no Service selects it.
import { test, expect, notChecked } from '../../fixtures/audit/audit.fixture.ts';
import { providerRoute } from '../../fixtures/audit/provider-service.ts';
import { expectProviderServesServerKeys } from '../../fixtures/checks/oidc-keys.ts';

test('every OIDC provider serves its trust domain\'s JWT keys at /keys, key for key, through its Service', async ({ audit }) => {
  if (!audit.topology.oidcProviders.length) notChecked('the audited deployment has no OIDC Discovery Provider');
  for (const provider of audit.topology.oidcProviders) {
    await test.step(provider.id, async () => {
      const agent = audit.topology.agents.find((a) => a.id === provider.agent);
      expect(agent, `${provider.id}: the agent whose Workload API socket it reads (its workload_api socket_path, on a hostPath or csi.spiffe.io volume)`).toBeDefined();
      expect(provider.pod, `${provider.id}: a running pod`).toBeDefined();
      const route = await providerRoute(audit.kube, provider);
      expect(typeof route === 'string' ? route : undefined, `${provider.id}: the Service in front of it`).toBeUndefined();
      const own = provider.httpPort ?? provider.httpsPort;
      if (!route && own === undefined) notChecked(`${provider.id} serves only on the Unix socket ${provider.socketOnly ?? '(none configured)'}, and no Service selects it`);
      const via = typeof route === 'object' ? route : { label: `${provider.id} (no Service selects it: its own port)`, pod: provider.pod!, targetPort: own!, scheme: provider.httpPort !== undefined ? 'http' as const : 'https' as const };
      // The server its agent reaches signs what it serves; the others agree with it (servers-agree).
      const server = audit.serversIn(agent!.trustDomain).find((s) => `${s.namespace}/${s.name}` === agent!.server) ?? audit.serversIn(agent!.trustDomain)[0];
      expect(server, `an audited server of ${agent!.trustDomain}`).toBeDefined();
      await expectProviderServesServerKeys(audit.kube,
        { label: via.label, namespace: provider.namespace, pod: via.pod, port: via.targetPort, host: provider.domains[0] ?? 'localhost', scheme: via.scheme },
        { label: `${server!.namespace}/${server!.pod}`, ref: server! });
    });
  }
});
