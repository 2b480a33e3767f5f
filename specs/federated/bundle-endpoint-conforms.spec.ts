// Proves every bundle endpoint of the topology keeps the SPIFFE federation contract, reached the
// way its peers reach it: from inside the cluster by the URL the holders poll (Service DNS name),
// with no client certificate, it serves the trust domain's bundle exactly as its server holds it,
// as UTF-8 JSON with an integer refresh hint (the configured one) and sequence; the certificate it
// presents is an X509-SVID for spiffe://<td>/spire/server chaining to the trust domain's roots
// (https_spiffe); and the sequence goes up when the bundle changes. F12–F14, F26–F29, B2–B5.
import { test, expect } from '../../fixtures/index.ts';
import { busyboxPod, idle, runPod } from '../../fixtures/kube/busybox.ts';
import { exec } from '../../fixtures/kube/exec.ts';
import { httpsGetPresented } from '../../fixtures/kube/http.ts';
import { withPortForward } from '../../fixtures/kube/port-forward.ts';
import { observeFederation } from '../../fixtures/spire/federation-state.ts';
import { rotateJwtAuthority } from '../../fixtures/spire/rotation.ts';
import { serverBundle } from '../../fixtures/spire/svids.ts';
import { serverPodName } from '../../fixtures/topology/read-server.ts';
import { jwtKids, parseSpiffeBundle, x509Authorities, type SpiffeBundle } from '../../fixtures/verify/bundle.ts';
import { bundleDifferences, servedBundleViolations } from '../../fixtures/verify/bundle-endpoint.ts';
import { fromBase64Der, x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';
import { x509 } from '../../fixtures/verify/x509.ts';

test('every bundle endpoint serves its trust domain\'s bundle to its peers, as an X509-SVID-authenticated server', async ({ cluster, federated, scratch }, testInfo) => {
  const { kube } = cluster;
  const observed = await test.step('read the topology: every relationship\'s endpoint URL and the server behind it', () => observeFederation(kube, federated.topologyServers));
  const endpoints = [...new Map(observed.verdicts.map((v) => [v.url!, v])).values()].map((v) => ({ url: v.url!, server: observed.servers.find((s) => s.ref.name === v.peer)!, trustDomain: v.peerTrustDomain }));
  expect(endpoints.map((e) => e.server.ref.name).sort(), 'the servers whose bundle endpoints peers poll').toEqual(observed.servers.filter((s) => s.config.bundleEndpoint).map((s) => s.ref.name).sort());
  const probe = { namespace: scratch, pod: 'bundle-endpoint-probe', container: 'main' };
  await test.step('a probe pod inside the cluster (busybox, no client certificate)', () => runPod(kube, scratch, busyboxPod(probe.pod, idle), 'Ready'));

  for (const e of endpoints) {
    const { ref, config } = e.server;
    const hint = config.bundleEndpoint!.refreshHintSeconds;
    const getInCluster = async (): Promise<SpiffeBundle> => {
      const r = await exec(kube, probe, ['wget', '-q', '-O', '-', '--no-check-certificate', e.url]);
      expect(r.exitCode, `GET ${e.url} from inside the cluster, without a client certificate: ${r.stderr}`).toBe(0);
      return parseSpiffeBundle(r.stdout, `${e.url} (in-cluster)`);
    };
    const getPresented = () => withPortForward(kube, ref.namespace, serverPodName(ref), config.bundleEndpoint!.port, (port) => httpsGetPresented(`https://localhost:${port}/`));

    await test.step(`${e.url}: serves ${ref.name}'s bundle, as held, to a pod that presents no certificate (F12, F13, F27, F28)`, async () => {
      // Compare against `bundle show` taken on both sides of the fetch, so a concurrent change cannot pass for a difference.
      await expect.poll(async () => {
        const before = await serverBundle(kube, ref);
        const served = await getInCluster();
        const after = await serverBundle(kube, ref);
        return before.spiffe_sequence !== after.spiffe_sequence ? ['(the bundle changed during the fetch)'] : bundleDifferences(served, after, e.url, `${ref.name} bundle show`);
      }, { message: `${e.url} serves what ${ref.name} holds`, timeout: 10_000 }).toEqual([]);
    });

    const presented = await test.step(`${e.url}: UTF-8 JSON with integer refresh hint (${hint} s, as configured) and sequence (F14, F29, B2, B4, B5)`, async () => {
      const r = await getPresented();
      expect(r.status).toBe(200);
      const served = servedBundleViolations(r.body, e.url, hint);
      expect(served.violations).toHaveNoViolations(`the body of ${e.url}`);
      await testInfo.attach(`${ref.name} bundle endpoint body.json`, { body: r.body, contentType: 'application/json' });
      return { ...r, bundle: served.bundle! };
    });

    await test.step(`${e.url}: presents an X509-SVID for spiffe://${e.trustDomain}/spire/server chaining to the trust domain's roots (F26, https_spiffe)`, async () => {
      const chain = presented.peerChain.map((der) => new x509.X509Certificate(Uint8Array.from(der)));
      const roots = x509Authorities(await serverBundle(kube, ref)).map((k) => fromBase64Der(k.x5c![0]!));
      await testInfo.attach(`${ref.name} bundle endpoint certificates.pem`, { body: chain.map((c) => c.toString('pem')).join('\n') });
      expect(await x509SvidViolations(chain, roots, `spiffe://${e.trustDomain}/spire/server`)).toHaveNoViolations(`the certificate chain ${e.url} presents`);
    });

    await test.step(`${e.url}: the sequence goes up when the bundle changes (B2, B3)`, async () => {
      const before = presented.bundle.spiffe_sequence!;
      const kid = await rotateJwtAuthority(kube, ref);
      let after: SpiffeBundle | undefined;
      await expect.poll(async () => jwtKids(after = await getInCluster()).includes(kid), { message: `${e.url} serves the new key ${kid}`, timeout: 10_000 }).toBe(true);
      expect(after!.spiffe_sequence, `${e.url}: sequence before the new key ${before}, after`).toBeGreaterThan(before);
    });
  }
});
