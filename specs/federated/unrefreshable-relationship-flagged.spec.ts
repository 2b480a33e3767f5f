// Proves a relationship that is configured but cannot refresh is flagged while its copy still
// matches (the failure nobody notices until the peer rotates): the detector reads the holder's own
// account of its polls and judges it not-refreshing, with SPIRE's reason. Two causes operators
// meet: a bundle endpoint URL naming a namespace that does not exist, and an endpoint SPIFFE ID
// the peer does not present. Each is undone afterwards, and the relationship is fresh again.
import { test, expect } from '../../fixtures/index.ts';
import { waitForVerdicts, waitUntilFresh, verdictFor, verdictTable } from '../../fixtures/spire/federation-state.ts';
import { updateRelationship, type RelationshipSpec } from '../../fixtures/spire/relationships.ts';
import { slackSeconds } from '../../fixtures/verify/federation.ts';

const causes = [
  {
    title: 'a bundle endpoint URL whose Service name does not resolve',
    holder: 'federated-server',
    break: (s: RelationshipSpec): RelationshipSpec => ({ ...s, bundleEndpointURL: s.bundleEndpointURL.replace(/\.(\w[\w-]*)\.svc/, '.$1-typo.svc') }),
    reason: /no such host|server misbehaving|lookup/,
  },
  {
    title: 'an endpoint SPIFFE ID the peer does not present',
    holder: 'nestedc-server',
    break: (s: RelationshipSpec): RelationshipSpec => ({ ...s, endpointSPIFFEID: `${s.endpointSPIFFEID}-retired` }),
    reason: /unexpected ID|spire\/server-retired/,
  },
];

for (const cause of causes) {
  test(`${cause.holder}: ${cause.title} is judged not-refreshing while the copy still matches`, async ({ cluster, federated }, testInfo) => {
    const { kube } = cluster;
    const servers = federated.topologyServers;
    const r = federated.relationships.find((x) => x.holder.name === cause.holder)!;
    const relationship = `${r.holder.name} holds ${r.peerDomain}`;
    const before = await test.step('every relationship fresh to start with', () => waitUntilFresh(kube, servers));
    const broken = cause.break(r.spec);
    try {
      await test.step(`federation update at ${r.holder.name}: ${JSON.stringify(broken)}`, () => updateRelationship(kube, r.holder, broken));
      // An updated relationship is polled with its new configuration at its next scheduled poll (federation.ts H1).
      const flagged = await test.step(`${relationship} judged not-refreshing`, () =>
        waitForVerdicts(kube, servers, (v) => (v.relationship === relationship ? v.verdict === 'not-refreshing' : true), `${relationship} not-refreshing`, (verdictFor(before, r.holder.name, r.peerDomain).timing.pollSeconds + slackSeconds) * 1000));
      await testInfo.attach('verdicts: broken.txt', { body: verdictTable(flagged) });
      const v = verdictFor(flagged, r.holder.name, r.peerDomain);
      console.log(`[federated] ${v.reason}`);
      expect({ missingKids: v.missingKids, extraKids: v.extraKids, missingRoots: v.missingRoots, extraRoots: v.extraRoots }, 'the copy still matches the peer').toEqual({ missingKids: [], extraKids: [], missingRoots: 0, extraRoots: 0 });
      expect(v.serverReason, 'SPIRE\'s own reason, from the holder\'s log').toMatch(cause.reason);
    } finally {
      await test.step(`restore the relationship at ${r.holder.name}`, () => updateRelationship(kube, r.holder, r.spec));
    }
    const restored = await test.step(`${relationship} fresh again`, () =>
      waitForVerdicts(kube, servers, (v) => v.verdict === 'fresh', 'all fresh again', (verdictFor(before, r.holder.name, r.peerDomain).timing.pollSeconds + slackSeconds) * 1000));
    await testInfo.attach('verdicts: restored.txt', { body: verdictTable(restored) });
  });
}
