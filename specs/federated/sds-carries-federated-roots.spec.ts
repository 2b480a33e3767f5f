// Proves what Envoy receives over SDS for a workload that federates: a caller registered beside
// workload-c (nestedC-agent, federatesWith auxiliary.org), asking as Envoy does, gets a validation
// context for auxiliary.org holding exactly the roots federated-server serves for it, and "ALL"
// names both trust domains with their roots — the same roots the Workload API hands the caller, keyed
// by trust domain ID.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { serverBundle } from '../../fixtures/spire-api/svids.ts';
import { withRegisteredCaller } from '../../fixtures/workload-api/registered-caller.ts';
import { legacyEnvoy, modernEnvoy } from '../../fixtures/workload-api/sds-client.ts';
import { x509SvidsOf, type X509SvidResponse } from '../../fixtures/workload-api/workload-api-client.ts';
import { x509Roots } from '../../fixtures/verify/bundle.ts';
import { sdsValidationViolations } from '../../fixtures/verify/sds.ts';
import { x509ResponseViolations } from '../../fixtures/verify/workload-api.ts';
import { fromBase64Der, splitDer } from '../../fixtures/verify/x509-svid.ts';

test.describe.configure({ lock: instanceLock });

test('Envoy\'s SDS request from a federating workload gets auxiliary.org\'s roots, as federated-server serves them and the Workload API hands them out', async ({ cluster, federated }) => {
  const { kube } = cluster;
  const { example, auxiliary } = federated.domains;
  await withRegisteredCaller(kube, {
    server: federated.servers.nestedC, like: federated.workloads.c.spiffeId, namespace: federated.namespace, agent: 'nestedc-agent',
    serviceAccount: 'grpc-federating', federatesWith: [`spiffe://${auxiliary}`],
  }, async (caller) => {
    const where = `${caller.namespace}/${caller.pod} at nestedc-agent`;
    const auxiliaryId = `spiffe://${auxiliary}`;
    // The caller's entry is new: the agent hands out the federated bundle once it has synced it.
    let wl: X509SvidResponse = { svids: [], crl: [], federated_bundles: {} };
    await expect.poll(async () => {
      wl = await caller.workloadApi.first<X509SvidResponse>('FetchX509SVID');
      return Object.keys(wl.federated_bundles);
    }, { message: `${where}: the federated bundles the Workload API hands out`, timeout: 15_000, intervals: [500] }).toContain(auxiliaryId);
    const svids = x509SvidsOf(wl);
    expect(x509ResponseViolations({ svids }, where)).toHaveNoViolations('the X.509 response of a federating workload, federated bundles keyed by trust domain ID');

    const own = splitDer(wl.svids[0]!.bundle);
    const foreign = splitDer(wl.federated_bundles[auxiliaryId]!);
    const servedByPeer = x509Roots(await serverBundle(kube, federated.servers.federated)).map(fromBase64Der);
    const named = (cs: { subject: string; serialNumber: string }[]) => cs.map((c) => `"${c.subject}" serial ${c.serialNumber}`).sort();
    expect(named(foreign), `${where}: the auxiliary.org roots the Workload API hands out against those federated-server holds`).toEqual(named(servedByPeer));

    const modern = await caller.sds.fetchSecrets(['ALL', auxiliaryId], modernEnvoy);
    const legacy = await caller.sds.fetchSecrets([auxiliaryId], legacyEnvoy);
    expect([
      ...sdsValidationViolations(modern, 'ALL', { [example]: own, [auxiliary]: foreign }, 'spiffe', `${where} SDS (Envoy 1.34, "ALL")`),
      ...sdsValidationViolations(modern, auxiliaryId, { [auxiliary]: foreign }, 'spiffe', `${where} SDS (Envoy 1.34, "${auxiliaryId}")`),
      ...sdsValidationViolations(legacy, auxiliaryId, { [auxiliary]: foreign }, 'trusted_ca', `${where} SDS (Envoy 1.17, "${auxiliaryId}")`),
    ]).toHaveNoViolations('the validation contexts SDS serves a federating Envoy');
  });
});
