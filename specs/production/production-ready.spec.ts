// Proves the deployment keeps what production needs and a deploy does not check, on every server
// and agent of the instance (root, nestedA, nestedB, nestedC, federated and their agents, the OIDC
// provider): state on storage that outlives the pod, agents bootstrapped and attested as their
// server admits them and no other, lifetimes within SPIRE's rules, one issuer per trust domain,
// and every server of example.org, nestedC included, on the same JWT keys. The audit runs the same
// promises (fixtures/checks/production.ts) on any deployment.
import { test, instanceLock } from '../../fixtures/index.ts';
import { expectPromiseKept, productionPromises } from '../../fixtures/checks/production.ts';
import { expectSameJwtKeys, expectSameX509Roots } from '../../fixtures/checks/servers-agree.ts';
import { serversBoundSeconds } from '../../fixtures/verify/propagation.ts';

test.describe.configure({ lock: instanceLock });

for (const promise of productionPromises) {
  // federated and oidc: their modules' facts (and evidence on failure) for the report.
  test(promise.title, async ({ instanceTopology, federated: _f, oidc: _o }) => {
    await expectPromiseKept(promise, instanceTopology);
  });
}

test('every server of example.org, nestedC included, holds the same JWT signing keys and X.509 roots', async ({ cluster, federated, nested }) => {
  const replicas = federated.topologyServers.filter((s) => s !== federated.servers.federated).map((ref) => ({ label: ref.name, ref }));
  await expectSameJwtKeys(cluster.kube, nested.trustDomain, replicas, serversBoundSeconds + 3);
  await expectSameX509Roots(cluster.kube, nested.trustDomain, replicas);
});
