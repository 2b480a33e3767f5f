// Proves, with a gRPC client of the suite's own in a pod it attests (socket-bridge), what a workload's
// SDK and Envoy actually see at nestedA-agent's socket: the Workload API over plaintext gRPC without
// credentials, the caller identified by attestation alone (a pod nothing registers is refused), the
// workload.spiffe.io header required, every stream's first answer at once, a reissued SVID pushed
// without being asked (and to Envoy's SDS stream too); and Envoy's SDS answers holding the very SVID
// and roots the Workload API serves, refusing a secret the caller is not entitled to.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { spireServer } from '../../fixtures/spire-api/cli.ts';
import { deleteEntriesFor } from '../../fixtures/spire-api/entries.ts';
import { recordFigure } from '../../fixtures/report/facts.ts';
import { outcome } from '../../fixtures/workload-api/grpc.ts';
import { withBridgedCaller } from '../../fixtures/workload-api/bridge.ts';
import { withRegisteredCaller, type RegisteredCaller } from '../../fixtures/workload-api/registered-caller.ts';
import { legacyEnvoy, modernEnvoy } from '../../fixtures/workload-api/sds-client.ts';
import { x509SvidsOf, type JwtBundlesResponse, type X509BundlesResponse, type X509SvidResponse } from '../../fixtures/workload-api/workload-api-client.ts';
import type { Kube } from '../../fixtures/kube/client.ts';
import type { NestedDeployment } from '../../fixtures/modules/nested.ts';
import { agentSyncBoundSeconds, immediateSlackMs, pushSlackSeconds } from '../../fixtures/verify/propagation.ts';
import { sdsCertificateViolations, sdsValidationViolations } from '../../fixtures/verify/sds.ts';
import { parseSpiffeBundle } from '../../fixtures/verify/bundle.ts';
import { jwtResponseViolations, x509ResponseViolations } from '../../fixtures/verify/workload-api.ts';
import { firstResponseViolations, headerViolations, transportViolations } from '../../fixtures/verify/workload-api-transport.ts';
import { x509 } from '../../fixtures/verify/x509.ts';
import { splitDer, x509SvidViolations } from '../../fixtures/verify/x509-svid.ts';

test.describe.configure({ lock: instanceLock });

const audience = 'spire-conformance-grpc';

/** A caller registered beside workload-a: same agent alias at nestedA-server, its own service account. */
function registered<T>({ cluster, nested }: { cluster: { kube: Kube }; nested: NestedDeployment }, serviceAccount: string, fn: (c: RegisteredCaller) => Promise<T>): Promise<T> {
  return withRegisteredCaller(cluster.kube, { server: nested.servers.nestedA, like: nested.workloads.a.spiffeId, namespace: nested.namespace, agent: 'nesteda-agent', serviceAccount }, fn);
}

const dnsNames = (c: x509.X509Certificate): string[] => c.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.filter((n) => n.type === 'dns').map((n) => n.value) ?? [];

test('a pod speaking gRPC to its agent\'s socket gets its own identity: plaintext, no credentials, attested, the header required', async ({ cluster, nested }) => {
  await registered({ cluster, nested }, 'grpc-client', async (caller) => {
    const api = caller.workloadApi;
    const where = `${caller.namespace}/${caller.pod} at nesteda-agent`;
    const x509 = await outcome(() => api.first<X509SvidResponse>('FetchX509SVID'));
    const jwt = await outcome(() => api.fetchJwtSvid([audience]));
    const validated = await outcome(() => api.validateJwtSvid(audience, jwt.ok ? jwt.value.svids[0]?.svid ?? '' : ''));
    const evidence = {
      where, expectedId: caller.spiffeId,
      methods: {
        FetchX509SVID: x509,
        FetchX509Bundles: await outcome(() => api.first<X509BundlesResponse>('FetchX509Bundles')),
        FetchJWTSVID: jwt,
        FetchJWTBundles: await outcome(() => api.first<JwtBundlesResponse>('FetchJWTBundles')),
        ValidateJWTSVID: validated,
      },
      servedIds: x509.ok ? x509.value.svids.map((s) => s.spiffe_id) : [],
      withoutHeader: await outcome(() => api.first<X509SvidResponse>('FetchX509SVID', { header: false })),
      unregistered: await test.step('the same call from a pod nothing registers, on the same agent', () =>
        withBridgedCaller(cluster.kube, caller.agent, { namespace: caller.namespace, name: 'grpc-unregistered', serviceAccount: 'grpc-unregistered' },
          (stranger) => outcome(() => stranger.workloadApi.first<X509SvidResponse>('FetchX509SVID')))),
    };
    expect(transportViolations(evidence)).toHaveNoViolations('the Workload API as a gRPC client in a pod sees it');
    expect(headerViolations(evidence.withoutHeader, where)).toHaveNoViolations('the workload.spiffe.io header requirement');
    if (!x509.ok || !validated.ok) return;
    expect(validated.value.spiffe_id, 'ValidateJWTSVID names the token\'s subject').toBe(caller.spiffeId);

    const svids = x509SvidsOf(x509.value);
    expect(x509ResponseViolations({ svids }, where)).toHaveNoViolations('the X.509 response as gRPC delivers it');
    const svid = x509.value.svids[0]!;
    expect(await x509SvidViolations(splitDer(svid.x509_svid), splitDer(svid.bundle), caller.spiffeId)).toHaveNoViolations(`the X.509-SVID of ${caller.spiffeId}`);
  });
});

test('every stream answers at once, and pushes a reissued X.509-SVID without being asked, to the Workload API and to Envoy\'s SDS', async ({ cluster, nested }, testInfo) => {
  await registered({ cluster, nested }, 'grpc-watcher', async (caller) => {
    const api = caller.workloadApi;
    const where = `${caller.namespace}/${caller.pod}`;
    // The same path's unary round trip is what "at once" is measured against; three samples of each,
    // judged by their medians, so one scheduling hiccup on a busy machine is not read as a delay.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const samples = { unary: [] as number[], x509: [] as number[], jwtBundles: [] as number[] };
    for (let i = 0; i < 3; i++) {
      const unary = await outcome(() => api.fetchJwtSvid([audience]));
      if (!unary.ok) throw new Error(`${where}: FetchJWTSVID refused: ${unary.code} ${unary.details}`);
      const x509 = await outcome(() => api.first<X509SvidResponse>('FetchX509SVID'));
      const jwtBundles = await outcome(() => api.first<JwtBundlesResponse>('FetchJWTBundles'));
      if (!x509.ok || !jwtBundles.ok) throw new Error(`${where}: a stream refused: ${[x509, jwtBundles].map((r) => (r.ok ? 'answered' : `${r.code} ${r.details}`)).join('; ')}`);
      samples.unary.push(unary.ms);
      samples.x509.push(x509.ms);
      samples.jwtBundles.push(jwtBundles.ms);
    }
    const unaryMs = median(samples.unary);
    await recordFigure(testInfo, { group: 'Workload API', name: 'FetchX509SVID first response (median of 3)', seconds: median(samples.x509) / 1000, boundSeconds: (unaryMs + immediateSlackMs) / 1000, boundSource: 'the median unary call on the same path + 250 ms' });
    expect([
      ...firstResponseViolations('FetchX509SVID', median(samples.x509), unaryMs, immediateSlackMs, where),
      ...firstResponseViolations('FetchJWTBundles', median(samples.jwtBundles), unaryMs, immediateSlackMs, where),
    ]).toHaveNoViolations('each stream\'s first response, immediately (medians of 3)');

    const x509Watch = api.watch<X509SvidResponse>('FetchX509SVID');
    const first = await x509Watch.log.next(() => true, 10_000);
    const sdsStream = caller.sds.streamSecrets(['default']);
    const sdsFirst = await sdsStream.log.next(() => true, 10_000);
    const firstSerial = splitDer(first.message.svids[0]!.x509_svid)[0]!.serialNumber;
    const dns = `grpc-watcher.${caller.namespace}.svc`;
    const sync = caller.agent.syncSeconds ?? 5;
    const bound = agentSyncBoundSeconds(sync) + pushSlackSeconds;
    const changedAt = performance.now();
    await test.step(`update ${caller.spiffeId}'s entry at nestedA-server: add DNS name ${dns}`, () => spireServer(cluster.kube, nested.servers.nestedA, [
      'entry', 'update', '-entryID', caller.entryId, '-parentID', caller.parentId, '-spiffeID', caller.spiffeId, ...caller.selectors.flatMap((s) => ['-selector', s]), '-dns', dns,
    ]));
    const hasDns = (r: X509SvidResponse) => r.svids.some((s) => dnsNames(splitDer(s.x509_svid)[0]!).includes(dns));
    const pushed = await x509Watch.log.next(hasDns, (bound + 5) * 1000, 1).finally(() => x509Watch.cancel());
    const sdsPushed = await sdsStream.log.next((p) => p.secrets.some((s) => s.tlsCertificate && dnsNames(s.tlsCertificate.chain[0]!).includes(dns)), (bound + 5) * 1000, 1).finally(() => sdsStream.cancel());
    const seconds = { workloadApi: (pushed.at - changedAt) / 1000, sds: (sdsPushed.at - changedAt) / 1000 };
    const boundSource = `nestedA-agent's sync_interval ${sync} s × 1.1 + one exec and one signing (${pushSlackSeconds} s)`;
    await recordFigure(testInfo, { group: 'Workload API', name: 'entry changed → FetchX509SVID stream pushes the reissued SVID', seconds: seconds.workloadApi, boundSeconds: bound, boundSource });
    await recordFigure(testInfo, { group: 'Workload API', name: 'entry changed → SDS stream pushes the reissued certificate', seconds: seconds.sds, boundSeconds: bound, boundSource });
    expect(splitDer(pushed.message.svids[0]!.x509_svid)[0]!.serialNumber, 'the pushed SVID is a new certificate').not.toBe(firstSerial);
    expect(sdsFirst.message.secrets.map((s) => s.name), 'the SDS stream\'s first answer').toEqual(['default']);
    expect(seconds.workloadApi, `the Workload API stream pushed the reissued SVID ${seconds.workloadApi.toFixed(1)} s after the entry changed (${boundSource})`).toBeLessThanOrEqual(bound);
    expect(seconds.sds, `the SDS stream pushed the reissued certificate ${seconds.sds.toFixed(1)} s after the entry changed (${boundSource})`).toBeLessThanOrEqual(bound);
    const pushedSvid = pushed.message.svids[0]!;
    expect(sdsCertificateViolations(sdsPushed.message.secrets, 'default', { spiffeId: pushedSvid.spiffe_id, chainDer: pushedSvid.x509_svid, keyPkcs8Der: pushedSvid.x509_svid_key }, `${where} SDS push`))
      .toHaveNoViolations('the certificate SDS pushed is the SVID the Workload API pushed');
  });
});

test('Envoy\'s SDS request gets the caller\'s certificate and its trust domain\'s roots, as the Workload API serves them; a secret it is not entitled to is refused', async ({ cluster, nested }) => {
  await registered({ cluster, nested }, 'grpc-envoy', async (caller) => {
    const where = `${caller.namespace}/${caller.pod} SDS`;
    const wl = await caller.workloadApi.first<X509SvidResponse>('FetchX509SVID');
    const svid = wl.svids[0]!;
    const served = { spiffeId: svid.spiffe_id, chainDer: svid.x509_svid, keyPkcs8Der: svid.x509_svid_key };
    const td = nested.trustDomain.replace(/^spiffe:\/\//, '');
    const roots = { [td]: splitDer(svid.bundle) };

    const modern = await caller.sds.fetchSecrets(['default', 'ROOTCA'], modernEnvoy);
    const byId = await caller.sds.fetchSecrets([caller.spiffeId, `spiffe://${td}`], modernEnvoy);
    const legacy = await caller.sds.fetchSecrets(['ROOTCA'], legacyEnvoy);
    expect([
      ...sdsCertificateViolations(modern, 'default', served, `${where} (Envoy 1.34, "default")`),
      ...sdsValidationViolations(modern, 'ROOTCA', roots, 'spiffe', `${where} (Envoy 1.34, "ROOTCA")`),
      ...sdsCertificateViolations(byId, caller.spiffeId, served, `${where} (named by SPIFFE ID)`),
      ...sdsValidationViolations(byId, `spiffe://${td}`, roots, 'spiffe', `${where} (named by trust domain ID)`),
      ...sdsValidationViolations(legacy, 'ROOTCA', roots, 'trusted_ca', `${where} (Envoy 1.17, "ROOTCA")`),
    ]).toHaveNoViolations('what SDS serves Envoy against what the Workload API serves the same pod');
    const chain = modern.find((s) => s.name === 'default')?.tlsCertificate?.chain ?? [];
    expect(await x509SvidViolations(chain, roots[td]!, caller.spiffeId)).toHaveNoViolations('the certificate SDS serves, as an X.509-SVID');

    const other = nested.workloads.a.spiffeId;
    const refused = await outcome(() => caller.sds.fetchSecrets([other]));
    expect(refused.ok ? 'answered' : `${refused.code}: ${refused.details}`, `SDS asked for ${other}'s certificate by ${caller.spiffeId}'s pod`).toMatch(/^INVALID_ARGUMENT: workload is not authorized for the requested identities/);
  });
});

test('hints stay unique: of two entries naming one hint the caller is served one, the oldest, beside another hint (W13, W19)', async ({ cluster, nested }) => {
  await registered({ cluster, nested }, 'grpc-hints', async (caller) => {
    const server = nested.servers.nestedA;
    const where = `${caller.namespace}/${caller.pod}`;
    // Three more identities for the same pod, created in this order: the first two share a hint.
    const hinted = [['hint-first', 'shared'], ['hint-second', 'shared'], ['hint-other', 'other']].map(([path, hint]) => ({ id: `${caller.spiffeId}/${path}`, hint: hint! }));
    try {
      for (const h of hinted) {
        await spireServer(cluster.kube, server, ['entry', 'create', '-spiffeID', h.id, '-parentID', caller.parentId, ...caller.selectors.flatMap((s) => ['-selector', s]), '-hint', h.hint]);
      }
      let x509: X509SvidResponse = { svids: [], crl: [], federated_bundles: {} };
      await expect.poll(async () => {
        x509 = await caller.workloadApi.first<X509SvidResponse>('FetchX509SVID');
        return x509.svids.map((s) => s.spiffe_id);
      }, { message: `${where}: the X.509-SVIDs served once nestedA-agent has synced the hinted entries`, timeout: 15_000, intervals: [500] }).toContain(hinted[2]!.id);
      const svids = x509SvidsOf(x509);
      const jwt = await caller.workloadApi.fetchJwtSvid([audience]);
      const bundles = await caller.workloadApi.first<JwtBundlesResponse>('FetchJWTBundles');
      const jwtResponse = {
        svids: jwt.svids.map((s) => ({ spiffeId: s.spiffe_id, hint: s.hint })),
        bundles: Object.fromEntries(Object.entries(bundles.bundles).map(([td, b]) => [td, parseSpiffeBundle(b.toString('utf8'), `${where} JWT bundle ${td}`)])),
      };
      expect([
        ...x509ResponseViolations({ svids }, `${where} X.509`),
        ...jwtResponseViolations(jwtResponse, nested.trustDomain, `${where} JWT`),
      ]).toHaveNoViolations('hints unique in each response');
      // One identity per hint (SPIRE keeps the oldest entry's; createdAt has whole seconds, so which of
      // two made in one second is not asserted), beside the caller's own and the other hint's.
      const shared = [hinted[0]!.id, hinted[1]!.id];
      for (const [profile, ids] of [['X.509-SVIDs', svids.map((s) => s.spiffeId)], ['JWT-SVIDs (no ID asked)', jwtResponse.svids.map((s) => s.spiffeId)]] as const) {
        expect(ids.filter((id) => !shared.includes(id)).sort(), `${where}: the ${profile} served beside the shared hint`).toEqual([caller.spiffeId, hinted[2]!.id].sort());
        expect(ids.filter((id) => shared.includes(id)), `${where}: the ${profile} served for the hint "shared" (${shared.join(', ')})`).toHaveLength(1);
      }
    } finally {
      for (const h of hinted) await deleteEntriesFor(cluster.kube, server, h.id);
    }
  });
});
