// Proves the OIDC Discovery Provider serves exactly the trust domain's JWT signing keys: the kid
// set at /keys equals nestedA-server's JWT authorities (and, by uniformity, the whole nested
// deployment's), with the same key material for each kid.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { expectHygienicJwks } from '../../fixtures/expect.ts';
import { httpGet } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtAuthorities, keyMaterial, type SpiffeJwk } from '../../fixtures/verify/bundle.ts';

test.describe.configure({ lock: instanceLock });

test('/keys serves exactly nestedA-server\'s JWT signing keys', async ({ cluster, nested, oidc }, testInfo) => {
  const served = await test.step('GET /keys from the provider', () =>
    withPortForward(cluster.kube, oidc.namespace, oidc.pod, oidc.podPort, async (port) => {
      const res = await httpGet(`http://localhost:${port}/keys`, oidc.domain);
      expect(res.status, `GET /keys: ${res.body.slice(0, 300)}`).toBe(200);
      return JSON.parse(res.body) as { keys: SpiffeJwk[] };
    }));
  const bundle = await test.step('read nestedA-server\'s bundle', () => serverBundle(cluster.kube, nested.servers.nestedA));
  await testInfo.attach('keys.json', { body: JSON.stringify(served, null, 2), contentType: 'application/json' });
  const server = jwtAuthorities(bundle);
  expectHygienicJwks(served.keys, 'the OIDC provider at /keys');
  expect({ 'oidc /keys': served.keys.map((k) => k.kid ?? '(no kid)').sort(), 'nesteda-server': server.map((k) => k.kid ?? '(no kid)').sort() })
    .toHaveEqualSets('JWT signing kids');
  for (const key of server) {
    const match = served.keys.find((k) => k.kid === key.kid);
    expect(match && keyMaterial(match), `key material served for kid ${key.kid}`).toBe(keyMaterial(key));
  }
});
