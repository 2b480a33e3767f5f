// Proves a JWT signing-key rotation on a nested server reaches the whole trust domain: after
// `localauthority jwt prepare` and `activate` on nestedA, root, nestedA and nestedB again hold
// equal kid sets that include the new key, and a workload under nestedB receives it, each within
// the bound SPIRE's rules give for the configuration deployed (nestedB-agent's sync_interval read
// from its agent.conf), timed from the rotation, with one stated slack for reading (readSlackSeconds).
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { fetchJwtSvid, serverBundle } from '../../fixtures/spire-api/svids.ts';
import { jwtKids, workloadJwtKids } from '../../fixtures/verify/bundle.ts';
import { readSlackSeconds, serversBoundSeconds, workloadsBoundFor } from '../../fixtures/verify/propagation.ts';
import { observeAgent } from '../../fixtures/topology/observe.ts';
import { secondsUntil } from '../../fixtures/expect.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('a forced JWT rotation on nestedA converges across root, nestedA and nestedB, each within the bound its configuration gives', async ({ cluster, nested }, testInfo) => {
  const { kube } = cluster;
  const kidSets = async () => Object.fromEntries(await Promise.all(Object.entries(nested.servers).map(async ([n, s]) => [n, jwtKids(await serverBundle(kube, s))] as const)));
  // The bound follows the agent as deployed: its agent.conf's sync_interval, not SPIRE's default.
  const agent = await observeAgent(kube, nested.namespace, 'nestedb-agent');
  const sync = agent.syncSeconds ?? 5;
  const workloadBound = workloadsBoundFor(sync);

  // The clock starts at the event: a prepared key is published at once.
  const started = Date.now();
  const kid = await test.step('prepare and activate a new JWT authority on nestedA-server', () => rotateJwtAuthority(kube, nested.servers.nestedA));
  const [servers, workload] = await Promise.all([
    test.step(`every server holds kid ${kid} and the kid sets agree, within ${serversBoundSeconds} s`, () => secondsUntil(async () => {
      const sets = await kidSets();
      return Object.values(sets).every((s) => s.includes(kid) && s.join() === sets.root!.join());
    }, started, serversBoundSeconds, `kid ${kid} on root, nestedA and nestedB, with equal kid sets`, readSlackSeconds)),
    test.step(`a workload under nestedB receives kid ${kid}, within ${workloadBound.toFixed(1)} s (nestedb-agent syncs every ${sync} s)`, () => secondsUntil(async () => {
      const svid = await fetchJwtSvid(kube, nested.workloads.b, 'spire-conformance-rotation');
      return workloadJwtKids(svid.bundles[`spiffe://${nested.trustDomain}`] ?? { keys: [] }).includes(kid);
    }, started, workloadBound, `kid ${kid} in workload-b's JWT bundle for ${nested.trustDomain}`, readSlackSeconds)),
  ]);
  expect(await kidSets()).toHaveEqualSets('JWT signing kids after rotation');
  await recordFigure(testInfo, { group: 'JWT rotation in example.org', name: 'servers converged', seconds: servers, boundSeconds: serversBoundSeconds, boundSource: 'U1: downstream servers poll their upstream every 5 s, + datastore cache' });
  await recordFigure(testInfo, { group: 'JWT rotation in example.org', name: 'workload under nestedB', seconds: workload, boundSeconds: workloadBound, boundSource: `U1 + A1: nestedb-agent syncs every ${sync} s (its agent.conf; +10% jitter), + cache` });
  console.log(`[nested] JWT rotation: servers converged in ${servers.toFixed(1)} s, workload-b had the key in ${workload.toFixed(1)} s`);
});
