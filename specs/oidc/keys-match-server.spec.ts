// Proves the OIDC Discovery Provider serves exactly the trust domain's JWT signing keys: the kid
// set at /keys equals nestedA-server's JWT authorities (and, by uniformity, the whole nested
// deployment's), with the same key material for each kid. The audit runs the same check
// (fixtures/checks/oidc-keys.ts) on any deployment's providers.
import { test, instanceLock } from '../../fixtures/index.ts';
import { expectProviderServesServerKeys } from '../../fixtures/checks/oidc-keys.ts';

test.describe.configure({ lock: instanceLock });

test('/keys serves exactly nestedA-server\'s JWT signing keys', async ({ cluster, nested, oidc }) => {
  await expectProviderServesServerKeys(cluster.kube,
    { label: 'oidc', namespace: oidc.namespace, pod: oidc.pod, port: oidc.podPort, host: oidc.domain },
    { label: 'nesteda-server', ref: nested.servers.nestedA });
});
