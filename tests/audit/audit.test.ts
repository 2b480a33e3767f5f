// The topology as an operator's tool, observed for real on the local cluster (or CLUSTER=kubeconfig):
// `topology up` deploys a module with what it stands on and is reused, `status` reports it,
// `down` refuses to pull nested from under its dependents, a spec run leaves a kept module; the
// read-only audit passes on the kept topology and on a SPIRE deployment laid out unlike the
// suite's, and leaves every object and every server's entries, bundles and relationships as it
// found them. Everything it deployed is removed at the end, whatever happened.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pRetry from 'p-retry';
import { stringify } from 'yaml';
import { localClusterRunning } from '../../fixtures/cluster/local.ts';
import { apply, parseManifests, remove } from '../../fixtures/kube/apply.ts';
import { clients, loadKubeConfig, type Kube } from '../../fixtures/kube/client.ts';
import { waitForWorkload } from '../../fixtures/kube/wait.ts';
import { pinImages } from '../../fixtures/modules/manifests.ts';
import { createEntry } from '../../fixtures/spire-api/entries.ts';
import { fetchX509Svid } from '../../fixtures/spire-api/svids.ts';
import type { ServerRef } from '../../fixtures/spire-api/cli.ts';
import { resolveAudit } from '../../fixtures/audit/resolve.ts';
import { parseAuditFile } from '../../fixtures/audit/audit-file.ts';
import { repoRoot } from '../../fixtures/versions.ts';
import { changes, snapshot } from './cluster-snapshot.ts';
import { runAudit } from './run-audit.ts';

const here = join(repoRoot, 'tests', 'audit');
const scratch = mkdtempSync(join(tmpdir(), 'spire-k8s-audit-'));
const foreign = parseManifests(readFileSync(join(here, 'foreign.yaml'), 'utf8')).map(pinImages);

function cli(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('npx', ['tsx', 'scripts/topology.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** An audit run through Playwright, reported into its own folder. */
const audit = (file: string | undefined, name: string, extra: { args?: string[]; env?: Record<string, string> } = {}) =>
  runAudit(join(scratch, name), { ...(file ? { file } : {}), ...extra });

const outcomes = (results: ReturnType<typeof audit>['results']) => Object.fromEntries(results.specs.map((s) => [s.title, Object.values(s.cells)[0]!.outcome]));

let kube: Kube;

before(async () => {
  const path = process.env.CLUSTER === 'kubeconfig' ? process.env.KUBECONFIG : await localClusterRunning();
  assert.ok(path, 'needs a running cluster: the local one (npm run cluster:up) or CLUSTER=kubeconfig');
  kube = clients(loadKubeConfig(path));
});

after(async () => {
  const down = cli(['down', '--all']);
  if (down.status !== 0) console.error(down.output);
  await remove(kube, [...foreign].reverse());
  rmSync(scratch, { recursive: true, force: true });
});

describe('topology commands', () => {
  it('up deploys a module on what it stands on, says how to reach it, and is reused', () => {
    const fed = cli(['up', 'federated']);
    assert.equal(fed.status, 0, fed.output);
    assert.ok(fed.output.indexOf('[nested]') < fed.output.indexOf('[federated]'), `nested first:\n${fed.output}`);
    assert.match(fed.output, /kubectl -n spire exec nestedc-server-0 -c spire-server -- \/opt\/spire\/bin\/spire-server bundle show/);
    assert.match(fed.output, /kubectl -n spire exec workload-f-\S+ -c workload -- \/opt\/spire\/bin\/spire-agent api fetch x509/);
    const oidc = cli(['up', 'oidc']);
    assert.equal(oidc.status, 0, oidc.output);
    assert.match(oidc.output, /nested: reusing the deployment made by `topology up`/);
    assert.match(oidc.output, /curl -H 'Host: oidc-discovery-provider.spire.svc' http:\/\/localhost:8080\/keys/);
  });

  it('status shows each module: health, fingerprint, owner, and its servers\' trust domains and JWT kids', () => {
    const s = cli(['status']);
    assert.equal(s.status, 0, s.output);
    for (const m of ['nested', 'oidc', 'federated']) assert.match(s.output, new RegExp(`${m}\\s+healthy, current, age \\d+ min, kept \\(topology up\\)`), s.output);
    assert.match(s.output, /root-server\s+example.org\s+[1-9]\d* JWT kids/);
    assert.match(s.output, /federated-server\s+auxiliary.org\s+[1-9]\d* JWT kids/);
  });

  it('down refuses to pull nested from under oidc and federated', () => {
    const d = cli(['down', 'nested']);
    assert.equal(d.status, 1, d.output);
    assert.match(d.output, /nested is under oidc and federated, which are deployed: remove them first, or run `npm run topology -- down nested --with-dependents`/);
    assert.match(cli(['status']).output, /nested\s+healthy/);
  });

  it('a spec run reuses a kept module and leaves it in place', () => {
    const run = spawnSync('npx', ['playwright', 'test', 'specs/nested/jwks-uniform.spec.ts', '--reporter=line', '--output', join(scratch, 'spec-run')], {
      cwd: repoRoot, encoding: 'utf8', timeout: 300_000, env: { ...process.env, CLUSTER: process.env.CLUSTER || 'local', KEEP: '', SPIRE_K8S_REPORTS: join(scratch, 'spec-run-reports') },
    });
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 0, output);
    assert.match(output, /nested: reusing the deployment made by `topology up`/);
    assert.match(output, /nested: kept \(deployed by `topology up`/);
    assert.match(cli(['status']).output, /nested\s+healthy, current/);
  });
});

describe('the read-only audit', () => {
  it('passes on the kept topology, and leaves every object and every server\'s state as it found them', async () => {
    const target = await resolveAudit(kube, parseAuditFile(readFileSync(join(here, 'suite-topology.audit.yaml'), 'utf8'), 'suite-topology.audit.yaml'));
    const beforeAudit = await snapshot(kube, ['spire'], target.servers);
    const run = audit(join(here, 'suite-topology.audit.yaml'), 'suite');
    assert.equal(run.status, 0, run.output);
    assert.equal(run.results.verdict, 'CONFORMANT', run.output);
    assert.deepEqual(Object.values(outcomes(run.results)).filter((o) => o !== 'passed'), [], JSON.stringify(outcomes(run.results)));
    assert.deepEqual(changes(beforeAudit, await snapshot(kube, ['spire'], target.servers)), [], 'the audit changed the cluster');
  });

  it('judges a relationship whose holder\'s log it may not read unjudgeable, never fresh (an auditor without pods/log)', async () => {
    // An auditor's role as some operators grant it: reads, and exec for SPIRE's CLI, but no logs.
    const role = parseManifests(`apiVersion: v1
kind: ServiceAccount
metadata: {name: auditor-without-logs, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: spire-k8s-auditor-without-logs}
rules:
- apiGroups: ["", apps, apiextensions.k8s.io, spire.spiffe.io]
  resources: [pods, services, endpoints, configmaps, namespaces, nodes, serviceaccounts, events, persistentvolumeclaims, deployments, statefulsets, daemonsets, replicasets, customresourcedefinitions, clusterspiffeids]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create, get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: spire-k8s-auditor-without-logs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: spire-k8s-auditor-without-logs}
subjects:
- {kind: ServiceAccount, name: auditor-without-logs, namespace: default}
`);
    await apply(kube, role);
    try {
      const token = (await kube.core.createNamespacedServiceAccountToken({ namespace: 'default', name: 'auditor-without-logs', body: { spec: { audiences: [], expirationSeconds: 600 } } })).status!.token;
      const cluster = kube.config.getCurrentCluster()!;
      const file = join(scratch, 'auditor-without-logs.kubeconfig');
      writeFileSync(file, stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'auditor',
        clusters: [{ name: 'c', cluster: { server: cluster.server, ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : { 'certificate-authority': cluster.caFile }) } }],
        users: [{ name: 'auditor', user: { token } }],
        contexts: [{ name: 'auditor', context: { cluster: 'c', user: 'auditor' } }],
      }));
      const run = audit(join(here, 'suite-topology.audit.yaml'), 'without-logs', { args: ['--grep', 'federation relationship'], env: { CLUSTER: 'kubeconfig', KUBECONFIG: file, KUBE_CONTEXT: '' } });
      const fresh = run.results.specs.find((x) => x.title === 'every federation relationship is fresh')!;
      const cell = Object.values(fresh.cells)[0]!;
      assert.equal(cell.outcome, 'failed', run.output);
      assert.match(cell.error!, /unjudgeable: [^\n]*without \S+'s log \(poll history\)/);
    } finally {
      await remove(kube, role);
    }
  });

  it('passes on a deployment laid out unlike the suite\'s (Deployment server, other names, containers, sockets), and changes nothing', async () => {
    await apply(kube, foreign);
    await waitForWorkload(kube, 'Deployment', 'identity-audit', 'trust-authority', 120_000);
    const target = await resolveAudit(kube, parseAuditFile(readFileSync(join(here, 'foreign.audit.yaml'), 'utf8'), 'foreign.audit.yaml'));
    const authority: ServerRef = target.servers[0]!;
    const node = 'spiffe://audit.test/node/identity-audit';
    await createEntry(kube, authority, { spiffeId: node, node: true, selectors: ['k8s_psat:cluster:audit-cluster', 'k8s_psat:agent_ns:identity-audit', 'k8s_psat:agent_sa:node-identity'] });
    await createEntry(kube, authority, { spiffeId: 'spiffe://audit.test/payments', parentId: node, selectors: ['k8s:ns:identity-audit', 'k8s:sa:payments'] });
    await waitForWorkload(kube, 'DaemonSet', 'identity-audit', 'node-identity', 120_000);
    await waitForWorkload(kube, 'Deployment', 'identity-audit', 'payments', 120_000);
    await pRetry(() => fetchX509Svid(kube, target.workloads[0]!), { retries: 60, factor: 1, minTimeout: 1000, maxRetryTime: 90_000 });

    const beforeAudit = await snapshot(kube, ['identity-audit'], target.servers);
    const run = audit(join(here, 'foreign.audit.yaml'), 'foreign');
    assert.equal(run.status, 0, run.output);
    // One server with one replica, no federation, no OIDC provider: checked where there is something to check, and said so.
    assert.equal(run.results.verdict, 'PARTLY CHECKED', run.output);
    const o = outcomes(run.results);
    assert.equal(o['every federation relationship is fresh'], 'not checked');
    assert.equal(o['every OIDC provider serves its trust domain\'s JWT keys at /keys, key for key, through its Service'], 'not checked');
    assert.equal(o['every OIDC provider\'s discovery document names the issuer its trust domain\'s tokens carry, keys at its jwks_uri and their algorithms, through its Service'], 'not checked');
    assert.equal(o['each trust domain\'s servers, every replica, hold the same JWT signing keys'], 'not checked');
    assert.equal(o['one workload of each registration shape receives conforming SVIDs for the identities its entries name'], 'passed');
    assert.equal(o['every pod that reads an agent\'s socket is registered'], 'passed');
    assert.equal(o['every bundle endpoint serves its bundle as held, as an X509-SVID-authenticated server'], 'passed');
    // Production promises judged on this layout too: its state is on a PVC, its one agent bootstraps from the k8sbundle ConfigMap.
    assert.equal(o['every server keeps its datastore and keys on storage that outlives its pod'], 'passed');
    assert.equal(o['every agent bootstraps from a trust bundle and attests with k8s_psat, as its server admits it'], 'passed');
    assert.equal(o['every agent\'s bootstrap bundle holds its trust domain\'s current X.509 roots'], 'passed');
    assert.equal(o['each trust domain has one jwt_issuer, served by its OIDC provider'], 'not checked');
    assert.deepEqual(changes(beforeAudit, await snapshot(kube, ['identity-audit'], target.servers)), [], 'the audit changed the cluster');
  });

  it('without audit.yaml, discovers both deployments, prints the file to keep, and passes', () => {
    const run = audit(undefined, 'discovered');
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /discovered this deployment \(save it as audit.yaml to keep it\)/);
    assert.match(run.output, /namespace: identity-audit\s+deployment: trust-authority\s+container: server/);
    assert.match(run.output, /namespace: spire\s+statefulSet: nestedc-server/);
  });
});

describe('topology down', () => {
  it('--with-dependents removes federated and oidc, then nested', () => {
    const d = cli(['down', 'nested', '--with-dependents']);
    assert.equal(d.status, 0, d.output);
    const order = [...d.output.matchAll(/^(\w+): removed in/gm)].map((m) => m[1]);
    assert.deepEqual(order, ['federated', 'oidc', 'nested'], d.output);
    assert.match(cli(['status']).output, /nested\s+not deployed[\s\S]*oidc\s+not deployed[\s\S]*federated\s+not deployed/);
  });
});
