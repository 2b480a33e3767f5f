// Audit: within each trust domain, every server and every replica of each holds the same JWT
// signing keys and X.509 roots, in well-formed, hygienic bundles (the suite's own checks,
// fixtures/checks/servers-agree.ts), read with `bundle show` in each replica's own pod. One server
// with one replica has nothing to agree with: not checked, never a pass.
import { test, notChecked } from '../../fixtures/audit/audit.fixture.ts';
import { expectSameJwtKeys, expectSameX509Roots, type Replica } from '../../fixtures/checks/servers-agree.ts';
import { trustDomains } from '../../fixtures/topology/model.ts';
import { serversBoundSeconds } from '../../fixtures/verify/propagation.ts';

// A key one replica or server has just published reaches the others at their next upstream poll
// or datastore read (U1), plus a read of every bundle.
const agreeWithinSeconds = serversBoundSeconds + 3;

function comparable(audit: { topology: Parameters<typeof trustDomains>[0]; replicasIn: (td: string) => Replica[] }): [string, Replica[]][] {
  const byDomain = trustDomains(audit.topology).map((td) => [td, audit.replicasIn(td)] as [string, Replica[]]);
  const alone = byDomain.filter(([, r]) => r.length < 2);
  if (alone.length === byDomain.length) notChecked(`nothing to compare: ${alone.map(([td, r]) => `spiffe://${td} has one server with one replica (${r[0]?.label ?? 'none'})`).join('; ')}`);
  for (const [td, r] of alone) test.info().annotations.push({ type: 'warning', description: `not compared: spiffe://${td} has one server with one replica (${r[0]?.label})` });
  return byDomain.filter(([, r]) => r.length >= 2);
}

test('each trust domain\'s servers, every replica, hold the same JWT signing keys', async ({ audit }) => {
  for (const [td, replicas] of comparable(audit)) await expectSameJwtKeys(audit.kube, td, replicas, agreeWithinSeconds);
});

test('each trust domain\'s servers, every replica, hold the same X.509 roots', async ({ audit }) => {
  for (const [td, replicas] of comparable(audit)) await expectSameX509Roots(audit.kube, td, replicas);
});
