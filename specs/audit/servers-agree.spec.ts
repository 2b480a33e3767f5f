// Audit: within each trust domain, every server holds the same JWT signing keys and X.509 roots
// (the uniformity nested topologies depend on), read with `bundle show` on each server.
import { test, expect } from '../../fixtures/audit/audit.fixture.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtKids, x509Roots } from '../../fixtures/verify/bundle.ts';

test('each trust domain\'s servers hold the same JWT keys and X.509 roots', async ({ audit }) => {
  const domains = [...new Set(audit.topology.servers.map((s) => s.trustDomain))].sort();
  for (const domain of domains) {
    const refs = audit.serversIn(domain);
    await test.step(`spiffe://${domain}: ${refs.map((r) => r.name).join(', ')}`, async () => {
      const bundles = Object.fromEntries(await Promise.all(refs.map(async (r) => [r.name, await serverBundle(audit.kube, r)] as const)));
      expect.soft(Object.fromEntries(Object.entries(bundles).map(([n, b]) => [n, jwtKids(b)])), `spiffe://${domain}`).toHaveEqualSets(`JWT signing kids of spiffe://${domain}`);
      expect.soft(Object.fromEntries(Object.entries(bundles).map(([n, b]) => [n, x509Roots(b)])), `spiffe://${domain}`).toHaveEqualSets(`X.509 roots of spiffe://${domain}`);
    });
  }
});
