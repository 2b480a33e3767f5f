// Proves a rotated JWT key reaches relying parties: after a forced rotation on nestedA
// (`localauthority jwt prepare` then `activate`), /keys serves the new kid; reports the delay.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { httpGet } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { observeOidc } from '../../fixtures/topology/observe.ts';
import { oidcKeysBoundSeconds } from '../../fixtures/verify/propagation.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';

test.describe.configure({ lock: instanceLock });

test('a forced JWT rotation is served at /keys', async ({ cluster, nested, oidc }, testInfo) => {
  await withPortForward(cluster.kube, oidc.namespace, oidc.pod, oidc.podPort, async (port) => {
    const started = Date.now();
    const kid = await test.step('prepare and activate a new JWT authority on nestedA-server', () => rotateJwtAuthority(cluster.kube, nested.servers.nestedA));
    await expect.poll(async () => {
      const res = await httpGet(`http://localhost:${port}/keys`, oidc.domain);
      return res.status === 200 ? (JSON.parse(res.body) as { keys: { kid?: string }[] }).keys.map((k) => k.kid) : [];
    }, { message: `/keys serves kid ${kid}`, timeout: 120_000, intervals: [500] }).toContain(kid);
    const delay = (Date.now() - started) / 1000;
    const provider = await observeOidc(cluster.kube, { namespace: oidc.namespace, name: oidc.service });
    await recordFigure(testInfo, { group: 'JWT rotation in example.org', name: 'OIDC /keys', seconds: delay, boundSeconds: oidcKeysBoundSeconds(provider.pollSeconds), boundSource: `U1 + A1 + the provider's poll_interval (${provider.pollSeconds} s)` });
    console.log(`[oidc] rotation to served at /keys: ${delay.toFixed(1)} s`);
  });
});
