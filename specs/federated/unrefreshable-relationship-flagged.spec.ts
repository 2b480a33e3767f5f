// Proves a relationship that is configured but cannot refresh is flagged while its copy still
// matches (the failure nobody notices until the peer rotates): the detector reads the holder's own
// account of its polls and judges it not-refreshing, with SPIRE's reason. Two causes operators
// meet: a bundle endpoint URL naming a namespace that does not exist, and an endpoint SPIFFE ID
// the peer does not present. Each breaks a different relationship, so both are broken at once and
// wait out the same poll (federation.ts H1); each is undone afterwards, and all are fresh again.
import { test, expect, instanceLock } from '../../fixtures/fault-instance.ts';
import { allChecks } from '../../fixtures/expect.ts';
import { waitForVerdicts, waitUntilFresh, verdictFor, verdictTable } from '../../fixtures/spire/federation-state.ts';
import { updateRelationship, type RelationshipSpec } from '../../fixtures/spire/relationships.ts';
import { slackSeconds } from '../../fixtures/verify/federation.ts';

test.describe.configure({ lock: instanceLock });

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

test(`each relationship broken its own way (${causes.map((c) => `${c.holder}: ${c.title}`).join('; ')}) is judged not-refreshing while its copy still matches`, async ({ cluster, federated }, testInfo) => {
  const { kube } = cluster;
  const servers = federated.topologyServers;
  const broken = causes.map((cause) => {
    const r = federated.relationships.find((x) => x.holder.name === cause.holder)!;
    return { cause, r, relationship: `${r.holder.name} holds ${r.peerDomain}`, spec: cause.break(r.spec) };
  });
  const before = await test.step('every relationship fresh to start with', () => waitUntilFresh(kube, servers));
  // An updated relationship is polled with its new configuration at its next scheduled poll (H1).
  const bound = (Math.max(...broken.map((b) => verdictFor(before, b.r.holder.name, b.r.peerDomain).timing.pollSeconds)) + slackSeconds) * 1000;
  try {
    for (const b of broken) await test.step(`federation update at ${b.r.holder.name}: ${JSON.stringify(b.spec)}`, () => updateRelationship(kube, b.r.holder, b.spec));
    const names = new Set(broken.map((b) => b.relationship));
    const flagged = await test.step(`${[...names].join(' and ')} judged not-refreshing`, () =>
      waitForVerdicts(kube, servers, (v) => !names.has(v.relationship) || v.verdict === 'not-refreshing', `${[...names].join(' and ')} not-refreshing`, bound));
    await testInfo.attach('verdicts: broken.txt', { body: verdictTable(flagged) });
    for (const b of broken) {
      await test.step(`${b.relationship} (${b.cause.title}): its copy still matches; SPIRE's own reason`, () => {
        const v = verdictFor(flagged, b.r.holder.name, b.r.peerDomain);
        console.log(`[federated] ${v.reason}`);
        expect({ missingKids: v.missingKids, extraKids: v.extraKids, missingRoots: v.missingRoots, extraRoots: v.extraRoots }, `${b.relationship}: the copy still matches the peer`).toEqual({ missingKids: [], extraKids: [], missingRoots: 0, extraRoots: 0 });
        expect(v.serverReason, `${b.relationship}: SPIRE's own reason, from the holder's log`).toMatch(b.cause.reason);
      });
    }
  } finally {
    // Every relationship is restored, even when restoring another failed.
    await allChecks('relationships not restored', broken.map((b) => test.step(`restore the relationship at ${b.r.holder.name}`, () => updateRelationship(kube, b.r.holder, b.r.spec))));
  }
  const restored = await test.step('every relationship fresh again', () => waitForVerdicts(kube, servers, (v) => v.verdict === 'fresh', 'all fresh again', bound));
  await testInfo.attach('verdicts: restored.txt', { body: verdictTable(restored) });
});
