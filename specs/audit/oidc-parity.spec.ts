// Audit: each OIDC Discovery Provider serves, at /keys, exactly the JWT signing keys of the server
// its agent reaches: the same kids, the same key material, a hygienic JWKS (the suite's own check,
// fixtures/checks/oidc-keys.ts). A relying party trusting /keys trusts what SPIRE signs with.
import { test, expect, notChecked } from '../../fixtures/audit/audit.fixture.ts';
import { expectProviderServesServerKeys } from '../../fixtures/checks/oidc-keys.ts';

test('every OIDC provider serves its trust domain\'s JWT keys at /keys, key for key', async ({ audit }) => {
  if (!audit.topology.oidcProviders.length) notChecked('the audited deployment has no OIDC Discovery Provider');
  for (const provider of audit.topology.oidcProviders) {
    await test.step(provider.id, async () => {
      const agent = audit.topology.agents.find((a) => a.id === provider.agent);
      expect(agent, `${provider.id}: the agent whose Workload API socket it reads (its workload_api socket_path, on a hostPath or csi.spiffe.io volume)`).toBeDefined();
      expect(provider.pod, `${provider.id}: a running pod`).toBeDefined();
      const port = provider.httpPort ?? provider.httpsPort;
      if (port === undefined) notChecked(`${provider.id} serves only on the Unix socket ${provider.socketOnly ?? '(none configured)'}: no port to read /keys from`);
      // The server its agent reaches signs what it serves; the others agree with it (servers-agree).
      const server = audit.serversIn(agent!.trustDomain).find((s) => `${s.namespace}/${s.name}` === agent!.server) ?? audit.serversIn(agent!.trustDomain)[0];
      expect(server, `an audited server of ${agent!.trustDomain}`).toBeDefined();
      await expectProviderServesServerKeys(audit.kube,
        { label: provider.id, namespace: provider.namespace, pod: provider.pod!, port, host: provider.domains[0] ?? 'localhost', scheme: provider.httpPort !== undefined ? 'http' : 'https' },
        { label: `${server!.namespace}/${server!.pod}`, ref: server! });
    });
  }
});
