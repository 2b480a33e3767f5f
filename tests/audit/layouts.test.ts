// The audit on the layouts operators actually run, with no audit file: the hardened `spire` chart's
// (a controller manager with its validating webhook, the OIDC provider's config mounted by subPath
// and served over HTTPS with spiffe-helper's certificate, a workload whose image has no SPIRE
// tool), the `spire-nested` chart's shape (a root and a child server in other namespaces, the child
// downstream through an upstream agent) and a server run as two replicas on one datastore. The audit
// must read every replica, find and check the workloads (with the opt-in), give an honest verdict,
// change nothing without the opt-in; and fail, naming it, when one thing at a time is broken.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject, V1DaemonSet } from '@kubernetes/client-node';
import * as jose from 'jose';
import pRetry from 'p-retry';
import { localClusterRunning } from '../../fixtures/cluster/local.ts';
import { apply, parseManifests, remove } from '../../fixtures/kube/apply.ts';
import { clients, loadKubeConfig, type Kube } from '../../fixtures/kube/client.ts';
import { waitForNamespaceGone, waitForWorkload } from '../../fixtures/kube/wait.ts';
import { pinImages } from '../../fixtures/modules/manifests.ts';
import { createEntry } from '../../fixtures/spire-api/entries.ts';
import { spireServer, type ServerRef } from '../../fixtures/spire-api/cli.ts';
import { images, repoRoot } from '../../fixtures/versions.ts';
import { changes, snapshot } from './cluster-snapshot.ts';
import { runAudit } from './run-audit.ts';
import type { AuditResults } from '../../reporter/render-audit.ts';

const here = join(repoRoot, 'tests', 'audit', 'layouts');
const scratch = mkdtempSync(join(tmpdir(), 'spire-k8s-layouts-'));
const load = (file: string) => parseManifests(readFileSync(join(here, file), 'utf8')).map(pinImages);
const hardened = load('hardened-spire.yaml');
const hardenedEntries = load('hardened-spire.entries.yaml');
const nested = load('nested-chart.yaml');
const crd = parseManifests(readFileSync(join(repoRoot, 'manifests', 'federated', 'registrar-crd.yaml'), 'utf8'));
const namespaces = [...hardened, ...nested].filter((o) => o.kind === 'Namespace').map((o) => o.metadata!.name!);
/** The nested shape comes up in two steps: the child servers need their downstream entry at the root first. */
const isOidc = (o: KubernetesObject) => o.kind === 'Deployment' && o.metadata?.name === 'spire-spiffe-oidc-discovery-provider';
const rootFirst = (o: KubernetesObject) => !o.metadata?.namespace ? o.kind === 'Namespace' || o.kind!.startsWith('Cluster') : o.metadata.namespace === 'nest-root';

/** An audit of the layouts with no file: as an operator runs it, or through Playwright with a --grep. */
const audit = (name: string, args: string[] = [], grep?: string) =>
  runAudit(join(scratch, name), grep ? { args: ['--grep', grep] } : { cli: true, args });

const outcome = (r: AuditResults, file: string, title?: RegExp) => {
  const s = r.specs.find((x) => x.file.endsWith(`${file}.spec.ts`) && (!title || title.test(x.title)));
  assert.ok(s, `no result for ${file} ${title ?? ''}: ${r.specs.map((x) => x.file).join(', ')}`);
  return Object.values(s.cells)[0]!;
};

let kube: Kube;
let createdCrd = false;
const root: ServerRef = { namespace: 'nest-root', name: 'root-server' };
const child: ServerRef = { namespace: 'nest-child', name: 'child-server' };
const chart: ServerRef = { namespace: 'spire-server', name: 'spire-server' };

/** Namespaces of the layouts that already exist: another SPIRE (a real chart install) may live there. */
let taken: string[] = [];

before(async () => {
  const path = process.env.CLUSTER === 'kubeconfig' ? process.env.KUBECONFIG : await localClusterRunning();
  assert.ok(path, 'needs a running cluster: the local one (npm run cluster:up) or CLUSTER=kubeconfig');
  kube = clients(loadKubeConfig(path));
  const existing = new Set((await kube.core.listNamespace()).items.map((n) => n.metadata!.name!));
  taken = namespaces.filter((n) => existing.has(n));
  // The layouts use the charts' own namespace names: on a cluster that has them, they are someone's.
  if (taken.length) return;
  // The chart installs its CRDs apart (spire-crds); one already there (another deployment's) stays.
  createdCrd = !(await kube.objects.read(crd[0]! as never).then(() => true, () => false));
  if (createdCrd) await apply(kube, crd);
  // The OIDC provider's spiffe-helper needs its agent and its entry at once: it comes last. The
  // two charts' layouts come up side by side, each in the order its parts need.
  // An agent comes once its server has published the bundle it bootstraps from: a pod started
  // before mounts an empty ConfigMap, and the agent gives up (CrashLoopBackOff) before the kubelet
  // refreshes it.
  const isAgent = (o: KubernetesObject) => o.kind === 'DaemonSet';
  const applyAgent = async (objects: KubernetesObject[], namespace: string, name: string) => {
    const ds = objects.find((o) => isAgent(o) && o.metadata?.namespace === namespace && o.metadata.name === name) as V1DaemonSet;
    const bundle = ds.spec!.template.spec!.volumes!.find((v) => /bundle/.test(v.configMap?.name ?? ''))!.configMap!.name!;
    await pRetry(async () => {
      const cm = await kube.core.readNamespacedConfigMap({ namespace, name: bundle });
      if (!Object.values(cm.data ?? {}).some(Boolean)) throw new Error(`${namespace}/${bundle}: its server has published no bundle yet`);
    }, { retries: 120, factor: 1, minTimeout: 1000, maxRetryTime: 120_000 });
    await apply(kube, [ds]);
    await waitForWorkload(kube, 'DaemonSet', namespace, name, 120_000);
  };
  await apply(kube, [...hardened.filter((o) => !isOidc(o) && !isAgent(o)), ...nested.filter((o) => rootFirst(o) && !isAgent(o))]);
  const nestedShape = async () => {
    await waitForWorkload(kube, 'StatefulSet', 'nest-root', 'root-server', 180_000);
    await applyAgent(nested, 'nest-root', 'upstream-agent');
    const upstream = 'spiffe://nest.test/node/upstream-agent';
    await createEntry(kube, root, { spiffeId: upstream, node: true, selectors: ['k8s_psat:cluster:nest-cluster', 'k8s_psat:agent_ns:nest-root', 'k8s_psat:agent_sa:upstream-agent'] });
    await createEntry(kube, root, { spiffeId: 'spiffe://nest.test/child-server', parentId: upstream, downstream: true, selectors: ['k8s:ns:nest-child', 'k8s:sa:child-server'] });
    await apply(kube, nested.filter((o) => !rootFirst(o) && !isAgent(o)));
    await waitForWorkload(kube, 'StatefulSet', 'nest-child', 'child-server', 180_000);
    const childAgent = 'spiffe://nest.test/node/child-agent';
    await createEntry(kube, child, { spiffeId: childAgent, node: true, selectors: ['k8s_psat:cluster:nest-cluster', 'k8s_psat:agent_ns:nest-child', 'k8s_psat:agent_sa:child-agent'] });
    await createEntry(kube, child, { spiffeId: 'spiffe://nest.test/ledger', parentId: childAgent, selectors: ['k8s:ns:nest-apps', 'k8s:sa:ledger'] });
    await Promise.all([
      applyAgent(nested, 'nest-child', 'child-agent'),
      waitForWorkload(kube, 'StatefulSet', 'nest-child', 'ha-server', 180_000),
      waitForWorkload(kube, 'Deployment', 'nest-apps', 'ledger', 120_000),
    ]);
  };
  const hardenedChart = async () => {
    await waitForWorkload(kube, 'StatefulSet', 'spire-server', 'spire-server', 180_000);
    // The API server asks the controller manager's webhook before it admits a ClusterSPIFFEID.
    await pRetry(() => apply(kube, hardenedEntries), { retries: 30, factor: 1, minTimeout: 2000, maxRetryTime: 90_000 });
    await applyAgent(hardened, 'spire-system', 'spire-agent');
    await apply(kube, hardened.filter(isOidc));
    await Promise.all([
      waitForWorkload(kube, 'Deployment', 'spire-server', 'spire-spiffe-oidc-discovery-provider', 180_000),
      waitForWorkload(kube, 'Deployment', 'payments', 'api', 120_000),
    ]);
  };
  await Promise.all([nestedShape(), hardenedChart()]);
}, { timeout: 900_000 });

after(async () => {
  if (!kube || taken.length) return;
  await remove(kube, [...hardenedEntries, ...hardened, ...nested]).catch((e: Error) => console.error(e.message));
  await Promise.all(namespaces.map((ns) => waitForNamespaceGone(kube, ns, 120_000).catch((e: Error) => console.error(e.message))));
  if (createdCrd) await remove(kube, crd);
  // KEEP_SCRATCH=1 keeps each audit's report folder (its results.json, front page) for a look.
  if (!process.env.KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
}, { timeout: 300_000 });

const takenReason = () => (taken.length ? `namespaces ${taken.join(', ')} already exist on this cluster (a SPIRE of its own?): the layouts are not deployed over them` : undefined);

describe('the audit on the layouts operators run', () => {
  it('without the opt-in: reads every replica, finds the workloads but touches none, says what it could not check', async (t) => {
    if (takenReason()) return t.skip(takenReason());
    const servers = [chart, root, child, { namespace: 'nest-child', name: 'ha-server', pod: (await kube.core.listNamespacedPod({ namespace: 'nest-child', labelSelector: 'app=ha-server' })).items[0]!.metadata!.name! }];
    const beforeAudit = await snapshot(kube, namespaces, servers);
    const run = audit('no-opt-in');
    assert.equal(run.status, 1, `PARTLY CHECKED exits 1 without --allow-not-checked\n${run.output}`);
    assert.equal(run.results.verdict, 'PARTLY CHECKED', run.output);
    assert.match(run.output, /Verdict: CONFORMANT on \d+ of \d+ checks \(\d+ not checked\)/);
    // nest.test (root and child) and ha.test (two replicas) compared; chart.test has one server with one replica.
    assert.match(run.output, /‼ servers-agree: each trust domain's servers, every replica, hold the same JWT signing keys\n {4}warning: not compared: spiffe:\/\/chart\.test has one server with one replica \(spire-server\/spire-server-0\)\n(?! {4}warning)/);
    assert.match(run.output, /– workload-svids: [^\n]*\(not checked\)\n {4}why: 2 workload shape\(s\) found \((nest-apps\/ledger-\S+, payments\/api-\S+)\); fetching their SVIDs without anything in their images needs AUDIT_TOUCH_WORKLOADS=1/);
    assert.match(run.output, /– federation-fresh: [^\n]*\n {4}why: the audited servers hold no federation relationship/);
    assert.equal(outcome(run.results, 'oidc-parity', /\/keys/).outcome, 'passed', run.output);
    assert.equal(outcome(run.results, 'oidc-parity', /discovery document/).outcome, 'passed', run.output);
    assert.equal(outcome(run.results, 'workloads-registered').outcome, 'passed', run.output);
    assert.deepEqual(changes(beforeAudit, await snapshot(kube, namespaces, servers)), [], 'the audit changed the cluster');
  });

  it('with the opt-in: fetches each workload shape\'s SVIDs through a sibling pod, says which, and leaves nothing behind', async (t) => {
    if (takenReason()) return t.skip(takenReason());
    const beforeAudit = await snapshot(kube, namespaces, [chart, child]);
    const run = audit('opt-in', ['--touch-workloads', '--allow-not-checked']);
    assert.equal(run.status, 0, run.output);
    assert.equal(outcome(run.results, 'workload-svids').outcome, 'passed', run.output);
    assert.match(run.output, /sibling pods created, each deleted after its check: (nest-apps\/ledger-\S+|payments\/api-\S+) \(sibling spire-audit-\S+\), (nest-apps\/ledger-\S+|payments\/api-\S+) \(sibling spire-audit-\S+\)/);
    // The siblings are gone, and so (within a reconcile of the controller manager) the entry it made for one.
    await pRetry(async () => {
      const left = changes(beforeAudit, await snapshot(kube, namespaces, [chart, child]));
      if (left.length) throw new Error(`the audit left: ${left.join('; ')}`);
    }, { retries: 30, factor: 1, minTimeout: 1000, maxRetryTime: 45_000 });
  });
});

describe('the audit fails, naming it, when one thing is broken', () => {
  it('what production needs, each promise broken on a server or agent no spec touched', async (t) => {
    if (takenReason()) return t.skip(takenReason());
    // Each configuration as its pod mounts it, changed in one line; each promise must name its one break.
    const breaks: { cm: [string, string, string]; edit: (conf: string) => string; promise: RegExp; names: RegExp }[] = [
      { cm: ['nest-child', 'ha-server', 'server.conf'], edit: (c) => c.replace(/KeyManager "disk" \{\n\s*plugin_data \{[^}]*\}/, 'KeyManager "memory" {\n        plugin_data {}'), promise: /datastore and keys/, names: /nest-child\/ha-server: KeyManager "memory"/ },
      { cm: ['spire-system', 'spire-agent', 'agent.conf'], edit: (c) => c.replace(/(trust_domain = "chart.test")/, '$1\n      insecure_bootstrap = true'), promise: /bootstraps/, names: /spire-system\/spire-agent: insecure_bootstrap = true/ },
      { cm: ['nest-child', 'child-server', 'server.conf'], edit: (c) => c.replace('["nest-child:child-agent"]', '["nest-child:child-agent", "nest-root:upstream-agent"]'), promise: /allow list/, names: /nest-child\/child-server: admits nest-root:upstream-agent, the service account of nest-root\/upstream-agent/ },
      { cm: ['spire-server', 'spire-server', 'server.conf'], edit: (c) => c.replace('default_x509_svid_ttl = "4h"', 'default_x509_svid_ttl = "8h"'), promise: /lifetimes/, names: /spire-server\/spire-server: default_x509_svid_ttl 8h is more than ca_ttl 1d \/ 6/ },
      { cm: ['nest-root', 'root-server', 'server.conf'], edit: (c) => c.replace('jwt_issuer = "https://oidc.nest.test"', 'jwt_issuer = "https://other.nest.test"'), promise: /jwt_issuer/, names: /spiffe:\/\/nest\.test: its servers set different jwt_issuer values: https:\/\/oidc\.nest\.test \(nest-child\/child-server\); https:\/\/other\.nest\.test \(nest-root\/root-server\)/ },
    ];
    const originals: [string, string, Record<string, string>][] = [];
    try {
      for (const { cm: [namespace, name, key], edit } of breaks) {
        const cm = await kube.core.readNamespacedConfigMap({ namespace, name });
        originals.push([namespace, name, { ...cm.data }]);
        const changed = edit(cm.data![key]!);
        assert.notEqual(changed, cm.data![key], `the break of ${namespace}/${name} changed nothing`);
        await kube.core.patchNamespacedConfigMap({ namespace, name, body: [{ op: 'replace', path: `/data/${key.replace('/', '~1')}`, value: changed }] });
      }
      const run = audit('production', [], 'production-ready');
      for (const b of breaks) {
        const o = outcome(run.results, 'production-ready', b.promise);
        assert.equal(o.outcome, 'failed', `${b.promise}: ${run.output}`);
        assert.match(o.error!, b.names);
        assert.match(o.error!, /1 of \d+ finding\(s\) failed/, `${b.promise}: only its own break fails`);
      }
    } finally {
      for (const [namespace, name, data] of originals) await kube.core.patchNamespacedConfigMap({ namespace, name, body: [{ op: 'replace', path: '/data', value: data }] });
    }
  });

  it('a replica whose datastore holds a different bundle', async (t) => {
    if (takenReason()) return t.skip(takenReason());
    const sharedVolume = { name: 'shared', persistentVolumeClaim: { claimName: 'ha-datastore' } };
    const setShared = async (volume: object, wait = true) => {
      const d = await kube.apps.readNamespacedStatefulSet({ namespace: 'nest-child', name: 'ha-server' });
      d.spec!.template.spec!.volumes = d.spec!.template.spec!.volumes!.map((v) => (v.name === 'shared' ? { name: 'shared', ...volume } : v));
      await kube.apps.replaceNamespacedStatefulSet({ namespace: 'nest-child', name: 'ha-server', body: d });
      // The restore is not waited for: no later test reads ha-server.
      if (wait) await waitForWorkload(kube, 'StatefulSet', 'nest-child', 'ha-server', 180_000);
    };
    await setShared({ emptyDir: {} });
    try {
      const run = audit('replica-datastore', [], 'servers-agree');
      const jwt = outcome(run.results, 'servers-agree', /JWT/);
      assert.equal(jwt.outcome, 'failed', run.output);
      assert.match(jwt.error!, /JWT signing kids \(use jwt-svid\) of spiffe:\/\/ha\.test differ across nest-child\/ha-server-\S+, nest-child\/ha-server-\S+/);
    } finally {
      await setShared({ persistentVolumeClaim: sharedVolume.persistentVolumeClaim }, false);
    }
  });

  it('/keys, through its Service, serving the right kid with the wrong key; the discovery document there naming another issuer', async (t) => {
    if (takenReason()) return t.skip(takenReason());
    const provider = 'spire-spiffe-oidc-discovery-provider';
    const held = JSON.parse(await spireServer(kube, chart, ['bundle', 'show', '-format', 'spiffe'])) as { keys: (jose.JWK & { use: string })[] };
    const jwt = held.keys.filter((k) => k.use === 'jwt-svid');
    // Another key of the same type (the chart's ca_key_type makes them RSA), under the same kid.
    const { publicKey } = await jose.generateKeyPair(jwt[0]!.kty === 'RSA' ? 'RS256' : 'ES256', { extractable: true });
    const forged = await jose.exportJWK(publicKey);
    const material = jwt[0]!.kty === 'RSA' ? { n: forged.n, e: forged.e } : { x: forged.x, y: forged.y };
    const keys = jwt.map((k, i) => (i === 0 ? { ...k, ...material } : k));
    // A cache in front of the provider, the Service sent to it: what a relying party would read. Its
    // discovery document is from before the provider was renamed: the issuer no token carries.
    const discovery = { issuer: 'https://oidc.chart.test', jwks_uri: 'https://oidc-discovery.chart.test/keys', authorization_endpoint: '', response_types_supported: ['id_token'], subject_types_supported: [], id_token_signing_alg_values_supported: ['RS256', 'ES256', 'ES384'] };
    const cache = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keys-cache', namespace: 'spire-server' }, data: { keys: JSON.stringify({ keys }), discovery: JSON.stringify(discovery) } };
    const d = await kube.apps.readNamespacedDeployment({ namespace: 'spire-server', name: provider });
    const original = structuredClone(d.spec!.template.spec!);
    d.spec!.template.spec!.containers.push({ name: 'keys-cache', image: images.busybox, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], ports: [{ name: 'cache', containerPort: 8080 }], volumeMounts: [{ name: 'keys-cache', mountPath: '/www' }] });
    d.spec!.template.spec!.volumes!.push({ name: 'keys-cache', configMap: { name: 'keys-cache', items: [{ key: 'keys', path: 'keys' }, { key: 'discovery', path: '.well-known/openid-configuration' }] } });
    await apply(kube, [cache]);
    await kube.apps.replaceNamespacedDeployment({ namespace: 'spire-server', name: provider, body: d });
    await kube.core.patchNamespacedService({ namespace: 'spire-server', name: provider, body: [{ op: 'replace', path: '/spec/ports/0/targetPort', value: 'cache' }] });
    try {
      await waitForWorkload(kube, 'Deployment', 'spire-server', provider, 180_000);
      const run = audit('forged-key', [], 'oidc-parity');
      const o = outcome(run.results, 'oidc-parity', /\/keys/);
      assert.equal(o.outcome, 'failed', run.output);
      assert.match(o.error!, new RegExp(`key material served for kid ${keys[0]!.kid}`));
      const doc = outcome(run.results, 'oidc-parity', /discovery document/);
      assert.equal(doc.outcome, 'failed', run.output);
      assert.match(doc.error!, /the discovery document Service spire-server\/spire-spiffe-oidc-discovery-provider:443 → \S+ serves [^\n]* breaks 1 rule\(s\):\n {2}- issuer is "https:\/\/oidc\.chart\.test", not https:\/\/oidc-discovery\.chart\.test \(the jwt_issuer its trust domain's servers set/);
    } finally {
      await kube.core.patchNamespacedService({ namespace: 'spire-server', name: provider, body: [{ op: 'replace', path: '/spec/ports/0/targetPort', value: 'https' }] });
      const now = await kube.apps.readNamespacedDeployment({ namespace: 'spire-server', name: provider });
      now.spec!.template.spec = original;
      await kube.apps.replaceNamespacedDeployment({ namespace: 'spire-server', name: provider, body: now });
      await remove(kube, [cache]);
    }
  });

  it('a workload whose registration entry was deleted', async (t) => {
    if (takenReason()) return t.skip(takenReason());
    const defaults = hardenedEntries.filter((o) => o.metadata?.name === 'spire-server-spire-default');
    await remove(kube, defaults);
    try {
      // The controller manager deletes the entries of a ClusterSPIFFEID that goes.
      await pRetry(async () => {
        const shown = await spireServer(kube, chart, ['entry', 'show', '-spiffeID', 'spiffe://chart.test/ns/payments/sa/api', '-output', 'json']);
        if ((JSON.parse(shown) as { entries?: unknown[] }).entries?.length) throw new Error('payments/api still has its entry');
      }, { retries: 30, factor: 1, minTimeout: 1000, maxRetryTime: 60_000 });
      const run = audit('entry-deleted', [], 'workloads-registered');
      const o = outcome(run.results, 'workloads-registered');
      assert.equal(o.outcome, 'failed', run.output);
      assert.match(o.error!, /payments\/api-\S+ \(service account api\) reads spire-system\/spire-agent's socket, but no registration entry at spire-server\/spire-server selects it/);
    } finally {
      await pRetry(() => apply(kube, defaults), { retries: 10, factor: 1, minTimeout: 2000 });
    }
  });
});
