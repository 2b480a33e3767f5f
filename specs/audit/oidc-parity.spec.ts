// Audit: each OIDC Discovery Provider serves, at /keys, exactly the JWT signing keys of its trust
// domain's servers (a relying party trusting /keys trusts what SPIRE signs with, nothing else).
import { test, expect, notApplicable } from '../../fixtures/audit/audit.fixture.ts';
import { httpGet } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtKids } from '../../fixtures/verify/bundle.ts';

test('every OIDC provider serves its trust domain\'s JWT keys at /keys', async ({ audit }) => {
  if (!audit.topology.oidcProviders.length) notApplicable('the audited deployment has no OIDC Discovery Provider');
  for (const provider of audit.topology.oidcProviders) {
    await test.step(`${provider.id}`, async () => {
      const agent = audit.topology.agents.find((a) => a.id === provider.agent);
      expect(agent, `${provider.id}: the agent whose socket it reads`).toBeDefined();
      expect(provider.httpPort, `${provider.id}: an insecure_addr to reach it on`).toBeDefined();
      expect(provider.pod, `${provider.id}: a running pod`).toBeDefined();
      const servers = audit.serversIn(agent!.trustDomain);
      const served = await withPortForward(audit.kube, provider.namespace, provider.pod!, provider.httpPort!, async (port) => {
        const res = await httpGet(`http://localhost:${port}/keys`, provider.domains[0]);
        expect(res.status, `${provider.id} /keys`).toBe(200);
        return (JSON.parse(res.body) as { keys: { kid?: string }[] }).keys.map((k) => k.kid ?? '(no kid)');
      });
      const held = Object.fromEntries(await Promise.all(servers.map(async (s) => [s.name, jwtKids(await serverBundle(audit.kube, s))] as const)));
      expect({ [`${provider.name} /keys`]: served, ...held }).toHaveEqualSets(`JWT signing kids of spiffe://${agent!.trustDomain}`);
    });
  }
});
