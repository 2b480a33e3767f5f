// Proves a JWT signing-key rotation on a nested server reaches the whole trust domain: after
// `localauthority jwt prepare` and `activate` on nestedA, root, nestedA and nestedB again hold
// equal kid sets that include the new key, and a workload under nestedB receives it. Reports
// how long each took.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { fetchJwtSvid, serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtKids, workloadJwtKids } from '../../fixtures/verify/bundle.ts';
import { serversBoundSeconds, workloadsBoundSeconds } from '../../fixtures/verify/propagation.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('a forced JWT rotation on nestedA converges across root, nestedA and nestedB', async ({ cluster, nested }, testInfo) => {
  const { kube } = cluster;
  const kidSets = async () => Object.fromEntries(await Promise.all(Object.entries(nested.servers).map(async ([n, s]) => [n, jwtKids(await serverBundle(kube, s))] as const)));

  const started = Date.now();
  const kid = await test.step('prepare and activate a new JWT authority on nestedA-server', () => rotateJwtAuthority(kube, nested.servers.nestedA));
  await test.step(`wait until every server holds kid ${kid} and the kid sets agree`, async () => {
    await expect.poll(async () => {
      const sets = await kidSets();
      // Each server's view: whether it holds the new kid, and whether its set matches the root's.
      return Object.fromEntries(Object.entries(sets).map(([n, s]) => [n, s.includes(kid) && s.join() === sets.root!.join() ? 'converged' : `kids: ${s.join(', ')}`]));
    }, { message: `kid ${kid} present on root, nestedA and nestedB with equal kid sets`, timeout: 120_000, intervals: [500] })
      .toEqual({ root: 'converged', nestedA: 'converged', nestedB: 'converged' });
  });
  const serversMs = Date.now() - started;
  await test.step(`wait until a workload under nestedB receives kid ${kid}`, async () => {
    await expect.poll(async () => {
      const svid = await fetchJwtSvid(kube, nested.workloads.b, 'spire-conformance-rotation');
      return workloadJwtKids(svid.bundles[`spiffe://${nested.trustDomain}`] ?? { keys: [] });
    }, { message: `kids in workload-b's JWT bundle for ${nested.trustDomain}`, timeout: 120_000, intervals: [1000] }).toContain(kid);
  });
  const workloadMs = Date.now() - started;
  expect(await kidSets()).toHaveEqualSets('JWT signing kids after rotation');
  await recordFigure(testInfo, { group: 'JWT rotation in example.org', name: 'servers converged', seconds: serversMs / 1000, boundSeconds: serversBoundSeconds, boundSource: 'U1: downstream servers poll their upstream every 5 s, + datastore cache' });
  await recordFigure(testInfo, { group: 'JWT rotation in example.org', name: 'workload under nestedB', seconds: workloadMs / 1000, boundSeconds: workloadsBoundSeconds, boundSource: 'U1 + A1: agents sync every 5 s (+10% jitter)' });
  console.log(`[nested] JWT rotation: servers converged in ${(serversMs / 1000).toFixed(1)} s, workload-b had the key in ${(workloadMs / 1000).toFixed(1)} s`);
});
