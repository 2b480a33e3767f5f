// Proves stale federation is detected, deterministically (the seed's check could never fail):
// the detector passes on the healthy deployment; after a forced JWT rotation at nestedC, whose
// bundle endpoint advertises a long refresh hint (1h), it flags federated-server's copy of
// example.org stale, naming the missing kid; after `spire-server federation refresh` it heals.
import { test, expect } from '../../fixtures/index.ts';
import { spireServer } from '../../fixtures/spire/cli.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { federatedBundle, serverBundle } from '../../fixtures/spire/svids.ts';
import { assessFederation, type FederationReport } from '../../fixtures/verify/federation.ts';
import type { FederatedDeployment } from '../../fixtures/modules/federated.ts';
import type { Kube } from '../../fixtures/kube/client.ts';

const caTtlSeconds = 24 * 3600; // ca_ttl in every server.conf of the topology

async function detect(kube: Kube, federated: FederatedDeployment): Promise<FederationReport[]> {
  return Promise.all(federated.relationships.map(async (r) => assessFederation({
    relationship: `${r.holder.name} holds ${r.peerDomain}`,
    copy: await federatedBundle(kube, r.holder, r.peerDomain),
    live: await serverBundle(kube, r.peer),
    peerCaTtlSeconds: caTtlSeconds,
  })));
}

test('the stale-federation detector flags a rotation behind a long refresh hint, and sees it heal', async ({ cluster, federated }, testInfo) => {
  const { kube } = cluster;
  const healthy = await test.step('detect on the healthy deployment', () => detect(kube, federated));
  await testInfo.attach('detector: healthy.json', { body: JSON.stringify(healthy, null, 2), contentType: 'application/json' });
  expect(healthy.map((r) => r.summary).join('\n')).not.toMatch(/: stale/);

  const kid = await test.step('rotate the JWT key of nestedC-server (prepare, activate)', () => rotateJwtAuthority(kube, federated.servers.nestedC));
  await test.step(`wait until nestedC-server's own bundle holds ${kid}`, () =>
    expect.poll(async () => (await serverBundle(kube, federated.servers.nestedC)).keys.map((k) => k.kid), { message: `nestedC-server holds ${kid}`, timeout: 60_000 }).toContain(kid));
  const stale = await test.step('detect again: federated-server\'s copy of example.org', () => detect(kube, federated));
  await testInfo.attach('detector: after rotation.json', { body: JSON.stringify(stale, null, 2), contentType: 'application/json' });
  const example = stale.find((r) => r.relationship.startsWith('federated-server'))!;
  console.log(`[federated] detector after rotation: ${example.summary}`);
  expect(example.state, example.summary).toBe('stale');
  expect(example.missingKids).toEqual([kid]);
  expect(example.refreshHintSeconds, 'the hint nestedC advertises').toBe(3600);

  await test.step('spire-server federation refresh -id spiffe://example.org at federated-server', () =>
    spireServer(kube, federated.servers.federated, ['federation', 'refresh', '-id', `spiffe://${federated.domains.example}`]));
  const healed = await test.step('detect after the refresh', () => detect(kube, federated));
  await testInfo.attach('detector: after refresh.json', { body: JSON.stringify(healed, null, 2), contentType: 'application/json' });
  expect(healed.map((r) => r.summary).join('\n')).not.toMatch(/: stale/);
});
