// Proves federation carries the whole trust domain, not one server's share: federated-server's
// copy of example.org holds the JWT keys of root, nestedA, nestedB and nestedC; nestedC's copy of
// auxiliary.org holds federated-server's; JWT-SVIDs cross both ways (SPIRE's verdict and jose's);
// an example.org and an auxiliary.org workload complete mutual TLS through the federated bundles.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { expectHygienicJwks } from '../../fixtures/expect.ts';
import { bundleKeyViolations, bundlesNotMerged } from '../../fixtures/verify/bundle-shape.ts';
import { waitUntilFresh } from '../../fixtures/spire/federation-state.ts';
import { mutualTls } from '../../fixtures/spire/mtls.ts';
import { federatedBundle, fetchJwtSvid, fetchX509Svid, serverBundle, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import { jwtKids } from '../../fixtures/verify/bundle.ts';
import { verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';

test.describe.configure({ lock: instanceLock });

test('federated-server holds every example.org JWT key: root, nestedA, nestedB and nestedC', async ({ cluster, nested, federated }, testInfo) => {
  const { kube } = cluster;
  const sources = { root: nested.servers.root, nestedA: nested.servers.nestedA, nestedB: nested.servers.nestedB, nestedC: federated.servers.nestedC };
  // Other specs rotate keys: compare once the copies have caught up, which the model bounds.
  await test.step('every relationship fresh (within the model\'s lag)', () => waitUntilFresh(kube, federated.topologyServers));
  const own = await test.step('read the JWT kids of root, nestedA, nestedB and nestedC', async () =>
    Object.fromEntries(await Promise.all(Object.entries(sources).map(async ([n, s]) => [n, jwtKids(await serverBundle(kube, s))] as const))));
  const copy = await test.step('read federated-server\'s copy of example.org', () => federatedBundle(kube, federated.servers.federated, federated.domains.example));
  await testInfo.attach('example.org at federated-server.json', { body: JSON.stringify(copy, null, 2), contentType: 'application/json' });
  const union = [...new Set(Object.values(own).flat())].sort();
  expect({ 'union of root, A, B, C': union, 'federated-server copy': jwtKids(copy) }).toHaveEqualSets('example.org JWT signing kids');
  expectHygienicJwks(copy.keys, 'federated-server\'s copy of example.org');
  expect(bundleKeyViolations(copy, 'federated-server\'s copy of example.org')).toHaveNoViolations('the keys of federated-server\'s copy of example.org');
  expect(bundlesNotMerged(await serverBundle(kube, federated.servers.federated), 'federated-server\'s own bundle (auxiliary.org)', copy, 'example.org')).toHaveNoViolations('federated-server\'s own bundle');
});

test('nestedC-server holds auxiliary.org\'s JWT keys as federated-server publishes them', async ({ cluster, federated }) => {
  const { kube } = cluster;
  await test.step('every relationship fresh (within the model\'s lag)', () => waitUntilFresh(kube, federated.topologyServers));
  const [live, copy] = await Promise.all([serverBundle(kube, federated.servers.federated), federatedBundle(kube, federated.servers.nestedC, federated.domains.auxiliary)]);
  expect({ 'federated-server': jwtKids(live), 'nestedC-server copy': jwtKids(copy) }).toHaveEqualSets('auxiliary.org JWT signing kids');
  expectHygienicJwks(copy.keys, 'nestedC-server\'s copy of auxiliary.org');
  expect(bundleKeyViolations(copy, 'nestedC-server\'s copy of auxiliary.org')).toHaveNoViolations('the keys of nestedC-server\'s copy of auxiliary.org');
  expect(bundlesNotMerged(await serverBundle(kube, federated.servers.nestedC), 'nestedC-server\'s own bundle (example.org)', copy, 'auxiliary.org')).toHaveNoViolations('nestedC-server\'s own bundle');
});

for (const source of ['nestedB', 'nestedC'] as const) {
  test(`auxiliary.org accepts a JWT-SVID issued through ${source}`, async ({ cluster, nested, federated }) => {
    const audience = 'spire-conformance-auxiliary';
    const from = source === 'nestedB' ? nested.workloads.b : federated.workloads.c;
    const svid = await test.step(`fetch a JWT-SVID through ${source}`, () => fetchJwtSvid(cluster.kube, from, audience));
    const verdict = await test.step('validate it at workload-f (federated-agent)', () => validateJwtAtAgent(cluster.kube, federated.workloads.f, audience, svid.token));
    expect(verdict.exitCode, `federated-agent rejected a JWT-SVID from ${source}: ${verdict.stderr || verdict.stdout}`).toBe(0);
    const copy = await federatedBundle(cluster.kube, federated.servers.federated, federated.domains.example);
    const { payload } = await verifyJwtSvid(svid.token, copy, audience);
    expect(payload.sub).toBe(from.spiffeId);
  });
}

test('example.org accepts a JWT-SVID issued through federated-server', async ({ cluster, federated }) => {
  const audience = 'spire-conformance-example';
  const svid = await fetchJwtSvid(cluster.kube, federated.workloads.f, audience);
  const verdict = await validateJwtAtAgent(cluster.kube, federated.workloads.c, audience, svid.token);
  expect(verdict.exitCode, `nestedC-agent rejected a JWT-SVID from auxiliary.org: ${verdict.stderr || verdict.stdout}`).toBe(0);
  const copy = await federatedBundle(cluster.kube, federated.servers.nestedC, federated.domains.auxiliary);
  const { payload } = await verifyJwtSvid(svid.token, copy, audience);
  expect(payload.sub).toBe(federated.workloads.f.spiffeId);
});

test('an example.org and an auxiliary.org workload complete mutual TLS through the federated bundles', async ({ cluster, federated }) => {
  const [c, f] = await Promise.all([fetchX509Svid(cluster.kube, federated.workloads.c), fetchX509Svid(cluster.kube, federated.workloads.f)]);
  const fromAux = c.federatedBundles[`spiffe://${federated.domains.auxiliary}`] ?? [];
  const fromExample = f.federatedBundles[`spiffe://${federated.domains.example}`] ?? [];
  expect(fromAux.length, 'workload-c received auxiliary.org\'s bundle').toBeGreaterThan(0);
  expect(fromExample.length, 'workload-f received example.org\'s bundle').toBeGreaterThan(0);
  const result = await mutualTls(
    { chain: f.chain, key: f.keyPkcs8Der, trust: fromExample, expectPeer: federated.workloads.c.spiffeId },
    { chain: c.chain, key: c.keyPkcs8Der, trust: fromAux, expectPeer: federated.workloads.f.spiffeId },
  );
  expect(result).toEqual({ serverSawClient: federated.workloads.c.spiffeId, clientSawServer: federated.workloads.f.spiffeId, echoed: 'spiffe-conformance' });
});
