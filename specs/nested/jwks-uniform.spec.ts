// Proves the nested servers are in sync with the root: root-server, nestedA-server and
// nestedB-server hold the same JWT signing keys (JWKS, use jwt-svid), within one upstream poll of
// each other, and the same X.509 roots. The audit runs the same checks
// (fixtures/checks/servers-agree.ts) on every server and replica of any deployment.
import { test, instanceLock } from '../../fixtures/index.ts';
import { expectSameJwtKeys, expectSameX509Roots, type Replica } from '../../fixtures/checks/servers-agree.ts';
import { serversBoundSeconds } from '../../fixtures/verify/propagation.ts';

test.describe.configure({ lock: instanceLock });

const replicasOf = (nested: { servers: Record<string, { name: string; namespace: string }> }): Replica[] =>
  Object.values(nested.servers).map((ref) => ({ label: ref.name, ref }));

// A key one server has just published reaches the others at their next upstream poll (U1): they
// must agree within that bound (plus a read of three bundles), not at one instant.
const agreeWithinSeconds = serversBoundSeconds + 3;

test('root, nestedA and nestedB hold the same JWT signing keys, in well-formed bundles', async ({ cluster, nested }) => {
  await expectSameJwtKeys(cluster.kube, nested.trustDomain, replicasOf(nested), agreeWithinSeconds);
});

test('root, nestedA and nestedB hold the same X.509 roots', async ({ cluster, nested }) => {
  await expectSameX509Roots(cluster.kube, nested.trustDomain, replicasOf(nested));
});
