// Proves the deployment keeps what production needs and a deploy does not check, on every server
// and agent of the instance (root, nestedA, nestedB, nestedC, federated and their agents, the OIDC
// provider): state on storage that outlives the pod, agents bootstrapped and attested as their
// server admits them and no other, lifetimes within SPIRE's rules, one issuer per trust domain,
// and every server of example.org, nestedC included, on the same JWT keys. The audit runs the same
// promises (fixtures/checks/production.ts) on any deployment.
import { test, instanceLock } from '../../fixtures/index.ts';
import { expectPromiseKept, productionPromises } from '../../fixtures/checks/production.ts';
import { expectSameJwtKeys, expectSameX509Roots } from '../../fixtures/checks/servers-agree.ts';
import { observeTopology } from '../../fixtures/topology/observe.ts';
import type { Topology } from '../../fixtures/topology/model.ts';
import { serversBoundSeconds } from '../../fixtures/verify/propagation.ts';

test.describe.configure({ lock: instanceLock });

// Observed once for the file: every promise judges the same running configuration.
let observed: Promise<Topology> | undefined;
const topologyOf = (fx: { cluster: { kube: Parameters<typeof observeTopology>[0] }; federated: { namespace: string; topologyServers: Parameters<typeof observeTopology>[1]['servers'] }; oidc: { namespace: string; service: string } }) =>
  (observed ??= observeTopology(fx.cluster.kube, {
    servers: fx.federated.topologyServers,
    agentNamespaces: [fx.federated.namespace],
    oidcProviders: [{ namespace: fx.oidc.namespace, name: fx.oidc.service }],
  }));

for (const promise of productionPromises) {
  test(promise.title, async ({ cluster, federated, oidc }) => {
    await expectPromiseKept(promise, await topologyOf({ cluster, federated, oidc }));
  });
}

test('every server of example.org, nestedC included, holds the same JWT signing keys and X.509 roots', async ({ cluster, federated, nested }) => {
  const replicas = federated.topologyServers.filter((s) => s !== federated.servers.federated).map((ref) => ({ label: ref.name, ref }));
  await expectSameJwtKeys(cluster.kube, nested.trustDomain, replicas, serversBoundSeconds + 3);
  await expectSameX509Roots(cluster.kube, nested.trustDomain, replicas);
});
