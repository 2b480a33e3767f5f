// Proves the nested servers are in sync with the root: root-server, nestedA-server and
// nestedB-server hold the same JWT signing keys (JWKS, use jwt-svid) and the same X.509 roots.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { expectHygienicJwks } from '../../fixtures/expect.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { jwtKids, x509Roots, type SpiffeBundle } from '../../fixtures/verify/bundle.ts';
import { bundleKeyViolations } from '../../fixtures/verify/bundle-shape.ts';

test.describe.configure({ lock: instanceLock });

async function bundlesOf(nested: { servers: Record<string, { name: string; namespace: string }> }, kube: Parameters<typeof serverBundle>[0]) {
  const entries = await Promise.all(Object.entries(nested.servers).map(async ([n, s]) => [n, await serverBundle(kube, s)] as const));
  return Object.fromEntries(entries) as Record<string, SpiffeBundle>;
}

test('root, nestedA and nestedB hold the same JWT signing keys, in well-formed bundles', async ({ cluster, nested }, testInfo) => {
  const bundles = await test.step('read each server\'s bundle (bundle show -format spiffe)', () => bundlesOf(nested, cluster.kube));
  await testInfo.attach('bundles.json', { body: JSON.stringify(bundles, null, 2), contentType: 'application/json' });
  const kids = Object.fromEntries(Object.entries(bundles).map(([n, b]) => [n, jwtKids(b)]));
  expect(kids).toHaveEqualSets('JWT signing kids (use jwt-svid)');
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
