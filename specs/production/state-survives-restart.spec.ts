// Proves, by a restart, what production-ready reads from the configuration: a server whose pod is
// replaced comes back with the same signing authorities (its KeyManager keeps its keys), the same
// registration entries and the same bundle (its datastore outlives the pod), and no JWT key added
// by the restart. nestedB-server: no other spec restarts it (server-outage stops nestedA and
// federated-server, on the fault instance).
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { spireServer, serverPodName } from '../../fixtures/spire-api/cli.ts';
import { localAuthorities } from '../../fixtures/spire-api/local-authorities.ts';
import { replacePod } from '../../fixtures/spire/outage.ts';
import { serverBundle } from '../../fixtures/spire-api/svids.ts';
import { jwtKids, x509Roots } from '../../fixtures/verify/bundle.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('nestedB-server replaced keeps its signing authorities, its entries and its bundle', async ({ cluster, nested }, testInfo) => {
  const { kube } = cluster;
  const server = nested.servers.nestedB;
  const state = async () => {
    const [jwt, x509, entries, bundle] = await Promise.all([
      localAuthorities(kube, server, 'jwt'), localAuthorities(kube, server, 'x509'),
      spireServer(kube, server, ['entry', 'show', '-output', 'json']), serverBundle(kube, server),
    ]);
    return {
      'active JWT authority': jwt.active?.id, 'active X.509 authority': x509.active?.id,
      'registration entries': ((JSON.parse(entries) as { entries?: { id: string }[] }).entries ?? []).map((e) => e.id).sort(),
      'JWT kids in its bundle': jwtKids(bundle), 'X.509 roots in its bundle': x509Roots(bundle).length,
    };
  };
  const before = await test.step(`${server.name}: authorities, entries and bundle before`, state);
  const replaced = await test.step(`delete ${serverPodName(server)}; its StatefulSet starts it again on the same claim`, () => replacePod(kube, server.namespace, serverPodName(server)));
  await recordFigure(testInfo, { group: 'resilience', name: `${server.name} pod replaced (deleted → Ready)`, seconds: (replaced.readyAt - replaced.deletedAt) / 1000 });
  const after = await test.step(`${server.name}: the same after`, state);
  expect(after, `${server.name} after its pod was replaced: a KeyManager or datastore that does not outlive the pod makes new authorities, loses entries, adds keys`).toEqual(before);
});
