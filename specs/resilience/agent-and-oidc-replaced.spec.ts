// Proves the parts that hold no state of their own come back whole when their pods are replaced: a
// workload under a replaced agent gets its SVIDs again within one agent sync of the new agent being
// Ready; a replaced OIDC Discovery Provider serves /keys again with exactly the keys it served before
// (and the server holds) within its poll of the Workload API.
import { test, expect, instanceLock } from '../../fixtures/fault-instance.ts';
import { secondsUntil } from '../../fixtures/expect.ts';
import { httpGet } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { daemonSetPod, replacePod } from '../../fixtures/spire/outage.ts';
import { fetchJwtSvid, serverBundle, x509SvidIds } from '../../fixtures/spire-api/svids.ts';
import { observeAgent, observeOidc } from '../../fixtures/topology/observe.ts';
import { jwtKids, type SpiffeJwk } from '../../fixtures/verify/bundle.ts';
import { nextSyncBoundFor, oidcReplacedBoundSeconds } from '../../fixtures/verify/recovery.ts';
import { readSlackSeconds } from '../../fixtures/verify/propagation.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('an agent replaced: its workload gets its X.509- and JWT-SVIDs again within one sync of the new agent being Ready', async ({ cluster, nested }, testInfo) => {
  const { kube } = cluster;
  const workload = nested.workloads.b;
  const agent = 'nestedb-agent';
  const pod = await daemonSetPod(kube, nested.namespace, agent);
  // One sync as the agent is configured (its agent.conf), not SPIRE's default.
  const sync = (await observeAgent(kube, nested.namespace, agent)).syncSeconds ?? 5;
  const bound = nextSyncBoundFor(sync);
  const replaced = await test.step(`delete ${pod}; its DaemonSet starts another`, () => replacePod(kube, nested.namespace, pod));
  const back = await test.step(`${workload.pod} gets its X.509-SVID from ${replaced.pod.metadata!.name}`, () =>
    secondsUntil(async () => (await x509SvidIds(kube, workload).catch((): string[] => [])).includes(workload.spiffeId), replaced.readyAt, bound, `${workload.pod} receives its X.509-SVID (${workload.spiffeId}) from the new ${agent} pod`, readSlackSeconds));
  await test.step(`${workload.pod} gets a JWT-SVID too`, async () => {
    expect((await fetchJwtSvid(kube, workload, `spire-conformance-agent-replaced-${Date.now()}`)).spiffeId).toBe(workload.spiffeId);
  });
  await recordFigure(testInfo, { group: 'resilience', name: `${agent} pod replaced (deleted → Ready)`, seconds: (replaced.readyAt - replaced.deletedAt) / 1000 });
  await recordFigure(testInfo, { group: 'resilience', name: `${agent} Ready → its workload has its SVID`, seconds: back, boundSeconds: bound, boundSource: `A1: one agent sync (${sync} s in its agent.conf, + 10%), + datastore cache` });
});

test('the OIDC Discovery Provider replaced: /keys serves again exactly the keys it served before, within its poll of the Workload API', async ({ cluster, nested, oidc }, testInfo) => {
  const { kube } = cluster;
  const keys = (pod: string) => withPortForward(kube, oidc.namespace, pod, oidc.podPort, async (port) => {
    const res = await httpGet(`http://localhost:${port}/keys`, oidc.domain);
    return res.status === 200 ? ((JSON.parse(res.body) as { keys: SpiffeJwk[] }).keys.map((k) => k.kid ?? '(no kid)').sort()) : [`HTTP ${res.status}`];
  });
  const provider = await observeOidc(kube, { namespace: oidc.namespace, name: oidc.service });
  const before = await test.step('GET /keys before', () => keys(oidc.pod));
  expect(before, `/keys serves nestedA-server's JWT kids before the provider is replaced`).toEqual(jwtKids(await serverBundle(kube, nested.servers.nestedA)));
  const replaced = await test.step(`delete ${oidc.pod}; its Deployment starts another`, () => replacePod(kube, oidc.namespace, oidc.pod));
  const newPod = replaced.pod.metadata!.name!;
  const bound = oidcReplacedBoundSeconds(provider.pollSeconds);
  let last: string[] = [];
  const served = await test.step(`GET /keys from ${newPod} until it serves the same kids`, () =>
    secondsUntil(async () => {
      last = await keys(newPod).catch((e: Error) => [`unreachable: ${e.message}`]);
      return last.join() === before.join();
    }, replaced.readyAt, bound, `${newPod} serves /keys with the kids served before (${before.join(', ')})`));
  expect(last).toEqual(before);
  await recordFigure(testInfo, { group: 'resilience', name: 'OIDC provider replaced (deleted → Ready)', seconds: (replaced.readyAt - replaced.deletedAt) / 1000 });
  await recordFigure(testInfo, { group: 'resilience', name: 'OIDC provider Ready → /keys as before', seconds: served, boundSeconds: bound, boundSource: `its poll_interval (${provider.pollSeconds} s) + A1 + datastore cache` });
});
