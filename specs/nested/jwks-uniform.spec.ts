// Proves the nested servers are in sync with the root: root-server, nestedA-server and
// nestedB-server hold the same JWT signing keys (JWKS, use jwt-svid), within one upstream poll of
// each other, and the same X.509 roots.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { expectHygienicJwks } from '../../fixtures/expect.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtKids, x509Roots, type SpiffeBundle } from '../../fixtures/verify/bundle.ts';
import { bundleKeyViolations } from '../../fixtures/verify/bundle-shape.ts';
import { serversBoundSeconds } from '../../fixtures/verify/propagation.ts';

test.describe.configure({ lock: instanceLock });

async function bundlesOf(nested: { servers: Record<string, { name: string; namespace: string }> }, kube: Parameters<typeof serverBundle>[0]) {
  const entries = await Promise.all(Object.entries(nested.servers).map(async ([n, s]) => [n, await serverBundle(kube, s)] as const));
  return Object.fromEntries(entries) as Record<string, SpiffeBundle>;
}

// A key one server has just published reaches the others at their next upstream poll (U1): they
// must agree within that bound (plus a read of three bundles), not at one instant.
const agreeWithinSeconds = serversBoundSeconds + 3;

test('root, nestedA and nestedB hold the same JWT signing keys, in well-formed bundles', async ({ cluster, nested }, testInfo) => {
  let bundles: Record<string, SpiffeBundle> = {};
  await test.step(`read each server's bundle (bundle show -format spiffe) until their JWT keys agree, at most ${agreeWithinSeconds} s`, () =>
    expect(async () => {
      bundles = await bundlesOf(nested, cluster.kube);
      expect(Object.fromEntries(Object.entries(bundles).map(([n, b]) => [n, jwtKids(b)]))).toHaveEqualSets('JWT signing kids (use jwt-svid)');
    }).toPass({ timeout: agreeWithinSeconds * 1000, intervals: [1000] }));
  await testInfo.attach('bundles.json', { body: JSON.stringify(bundles, null, 2), contentType: 'application/json' });
  for (const [name, b] of Object.entries(bundles)) {
    expect(bundleKeyViolations(b, `${name} bundle show`)).toHaveNoViolations(`the keys of ${name}'s bundle`);
    expectHygienicJwks(b.keys, `${name} (bundle show)`);
  }
});

test('root, nestedA and nestedB hold the same X.509 roots', async ({ cluster, nested }) => {
  const bundles = await test.step('read each server\'s bundle', () => bundlesOf(nested, cluster.kube));
  const roots = Object.fromEntries(Object.entries(bundles).map(([n, b]) => [n, x509Roots(b)]));
  expect(roots).toHaveEqualSets('X.509 roots (use x509-svid)');
});
