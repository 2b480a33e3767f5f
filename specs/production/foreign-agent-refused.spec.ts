// Proves each server's k8s_psat allow list holds when tried: an agent of another server (spire-agent
// itself, presenting that agent's projected service account token) is refused by every server of
// the instance, for that reason ("… is not an allowed service account"), not a TLS or config error.
// The static promise (production-ready: allow lists name only agents that reach the server) reads
// the configuration; this is the server's answer.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { apply, remove } from '../../fixtures/kube/apply.ts';
import { intruderConfig, intruderPod, type Intruder } from '../../fixtures/spire/intruder-agent.ts';

test.describe.configure({ lock: instanceLock });

test('every server refuses the agent of another server at node attestation', async ({ cluster, instanceTopology: t, federated }) => {
  const kube = cluster.kube;
  const namespace = federated.namespace;
  const tries = t.servers.flatMap((s) => {
    const own = t.agents.find((a) => a.server === s.id);
    const other = t.agents.find((a) => a.server && a.server !== s.id && a.posture);
    return own?.posture?.psatCluster && other?.posture ? [{ server: s, intruder: {
      name: `intruder-${s.name}`.slice(0, 50), serviceAccount: other.posture.serviceAccount.split(':')[1]!, trustDomain: s.trustDomain,
      serverHost: own.serverAddress, serverPort: own.serverPort ?? 8081, psatCluster: own.posture.psatCluster,
    } satisfies Intruder, from: other }] : [];
  });
  expect(tries.map((x) => x.server.id), 'every server has an agent of its own to learn its address from').toEqual(t.servers.map((s) => s.id));
  const objects = tries.flatMap(({ intruder }) => [{ ...intruderConfig(intruder), metadata: { ...intruderConfig(intruder).metadata, namespace } }, { ...intruderPod(intruder), metadata: { ...intruderPod(intruder).metadata, namespace } }]);
  try {
    await apply(kube, objects);
    await Promise.all(tries.map(({ server, intruder, from }) => test.step(`${from.id}'s service account (${from.posture!.serviceAccount}) at ${server.id}`, async () => {
      const sa = `${namespace}:${intruder.serviceAccount}`;
      let log = '';
      await expect(async () => {
        log = await kube.core.readNamespacedPodLog({ namespace, name: intruder.name }).catch(() => '');
        expect(log, `${intruder.name}'s log: no attestation answer from ${server.id} yet`).toMatch(/is not an allowed service account|Node attestation was successful|SVID loaded|PermissionDenied/);
      }).toPass({ timeout: 45_000, intervals: [1000] });
      await test.info().attach(`${intruder.name}.log`, { body: log, contentType: 'text/plain' });
      expect(log, `${server.id} admitted ${sa}, the service account of ${from.id} (an agent of ${from.server})`).not.toMatch(/Node attestation was successful|SVID loaded/);
      expect(log, `${server.id} refused ${sa}, but not for its allow list`).toContain(`\\"${sa}\\" is not an allowed service account`);
    })));
  } finally {
    await remove(kube, objects);
  }
});
