// Proves a JWT signing key's rotation end to end, as relying parties meet it: a key prepared at
// nestedA reaches every holder of example.org's keys (each server, each workload's Workload API,
// OIDC /keys, auxiliary.org's copy) before it signs anything; once activated, new JWT-SVIDs carry
// it; a token signed by the previous key still validates everywhere until it expires. Each path's
// delay is reported beside SPIRE's bound for it.
import { decodeProtectedHeader } from 'jose';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { allChecks, expectHygienicJwks, secondsUntil } from '../../fixtures/expect.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { keyHolders, topologyHolders, type KeyHolder } from '../../fixtures/spire/key-holders.ts';
import { activateJwtAuthority, prepareJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { fetchJwtSvid, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import { verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';
import { holderBound } from '../../fixtures/verify/propagation.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('a JWT key prepared at nestedA reaches every holder before it signs; once active it signs new tokens, and tokens of the previous key still validate everywhere', async ({ cluster, nested, oidc, federated, instanceTopology }, testInfo) => {
  const { kube } = cluster;
  const signer = nested.workloads.a;
  const validators = [nested.workloads.b, federated.workloads.c];
  const { sources, timing } = await topologyHolders(kube, instanceTopology, nested.trustDomain, [nested.workloads.a, nested.workloads.b, federated.workloads.c]);

  await withPortForward(kube, oidc.namespace, oidc.pod, oidc.podPort, async (port) => {
    const holders = keyHolders(kube, { ...sources, oidc: { port, host: oidc.domain } });
    const bound = (h: KeyHolder) => holderBound(h.path, timing);

    const oldAudience = `spire-conformance-before-rotation-${Date.now()}`;
    const old = await test.step(`before: ${signer.pod} gets a JWT-SVID signed by nestedA's active key`, () => fetchJwtSvid(kube, signer, oldAudience));
    const oldKid = decodeProtectedHeader(old.token).kid;

    const kid = await test.step('prepare a JWT authority at nestedA-server', () => prepareJwtAuthority(kube, nested.servers.nestedA));
    const prepared = Date.now();
    await test.step(`${kid} reaches every holder of ${nested.trustDomain}'s keys`, async () => {
      // Every path is timed and reported, and every late one named.
      await allChecks(`holders that did not receive ${kid} in time`, holders.map(async (h) => {
        const seconds = await secondsUntil(async () => (await h.kids()).includes(kid), prepared, bound(h).seconds, `${h.name} holds ${kid}, prepared at nestedA-server`);
        await recordFigure(testInfo, { group: 'JWT key prepared at nestedA', name: h.name, seconds, boundSeconds: bound(h).seconds, boundSource: bound(h).source });
      }));
    });
    await test.step('prepared, not active: a new token is still signed by the active key', async () => {
      const svid = await fetchJwtSvid(kube, signer, `spire-conformance-prepared-${Date.now()}`);
      expect(decodeProtectedHeader(svid.token).kid, `a prepared key must not sign; ${signer.pod}'s new token`).toBe(oldKid);
    });

    await test.step(`activate ${kid}: a token for a new audience is signed by it`, async () => {
      await activateJwtAuthority(kube, nested.servers.nestedA, kid);
      const svid = await fetchJwtSvid(kube, signer, `spire-conformance-activated-${Date.now()}`);
      expect(decodeProtectedHeader(svid.token).kid, `${signer.pod}'s new token after activation`).toBe(kid);
    });

    await test.step(`the token signed by the previous key (${oldKid}) still validates at every agent and with every JWKS`, async () => {
      for (const w of validators) {
        const verdict = await validateJwtAtAgent(kube, w, oldAudience, old.token);
        expect.soft(verdict.exitCode, `${w.pod}'s agent refused a token signed by the retired key ${oldKid}: ${verdict.stderr || verdict.stdout}`).toBe(0);
      }
      for (const h of holders.filter((x) => x.path === 'oidc' || x.path === 'federated copy')) {
        const verdict = await verifyJwtSvid(old.token, await h.jwks(), oldAudience).then(() => 'accepted', (e: Error) => `refused: ${e.message}`);
        expect.soft(verdict, `jose against ${h.name}, for a token signed by the retired key ${oldKid}`).toBe('accepted');
      }
    });
    await test.step('every JWKS a holder hands out after the rotation is hygienic (no duplicate kids, no expired keys past the grace, under the 100-key limit)', async () => {
      for (const h of holders) expectHygienicJwks((await h.jwks()).keys, h.name);
    });
  });
});
