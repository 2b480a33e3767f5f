// The suite beside a SPIRE it did not create, on the local cluster (or CLUSTER=kubeconfig): a SPIRE
// deployment in `spire` applied from the manifests by another owner (field manager, no label of
// ours, its own UpstreamAuthority CA) keeps running while a run in another namespace
// (SPIRE_NAMESPACE) deploys the whole topology, passes and removes itself. Afterwards every object
// of the foreign deployment has its resourceVersion, and its server its entries and bundles, as
// before, and nothing of the run is left. A run on the foreign namespace itself is refused before
// it touches anything, and a second run on the run's namespace is refused naming the first.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import pRetry, { AbortError } from 'p-retry';
import { isNotFound, parseManifests, remove } from '../../fixtures/kube/apply.ts';
import type { Kube } from '../../fixtures/kube/client.ts';
import { deleteNamespaceAndWait, targetCluster } from '../support/target-cluster.ts';
import { waitForWorkload } from '../../fixtures/kube/wait.ts';
import { pinImages } from '../../fixtures/modules/manifests.ts';
import type { ServerRef } from '../../fixtures/spire-api/cli.ts';
import { makeUpstreamCa } from '../../fixtures/spire/upstream-ca.ts';
import { lockName, lockNamespace, microTime } from '../../fixtures/suite/run-lock.ts';
import { leftovers as instanceLeftovers } from '../../fixtures/suite/leftovers.ts';
import { repoRoot } from '../../fixtures/versions.ts';
import { changes, snapshot, type Snapshot } from '../audit/cluster-snapshot.ts';

const foreignNamespace = 'spire';
const runNamespace = 'spire-conformance-iso';
const owner = 'foreign-operator';
const scratch = mkdtempSync(join(tmpdir(), 'spire-k8s-isolation-'));
const foreignServer: ServerRef = { namespace: foreignNamespace, name: 'root-server' };
// As an operator would `kubectl apply` them: the files as written, images at the pinned tags.
const foreign: KubernetesObject[] = ['namespace.yaml', 'rbac.yaml', 'root-server.yaml', 'root-agent.yaml']
  .flatMap((f) => parseManifests(readFileSync(join(repoRoot, 'manifests', 'nested', f), 'utf8')).map(pinImages));

let kube: Kube;
let kubeconfig: string;

const env = (namespace: string | undefined, name: string) => ({
  ...process.env, CLUSTER: 'kubeconfig', KUBECONFIG: kubeconfig, KUBE_CONTEXT: '', SPIRE_NAMESPACE: namespace ?? '', SPIRE_K8S_REPORTS: join(scratch, name), SPIRE_K8S_RUN_DIR: '',
});
const playwright = [join(repoRoot, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '--reporter=line', '--output', join(scratch, 'out')];

function runSync(namespace: string | undefined, specs: string[], name: string): { status: number | null; output: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [...playwright, ...specs], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, env: env(namespace, name) });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, ms: Date.now() - started };
}

function runAsync(namespace: string, specs: string[], name: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...playwright, ...specs], { cwd: repoRoot, env: env(namespace, name) });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Waits (a minute at most) until nothing of the instance is left: a deleted namespace takes its time to go. */
async function expectNothingLeft(namespace: string): Promise<void> {
  await pRetry(async () => {
    const left = await leftovers(namespace);
    if (left.length) throw new Error(`left behind by the run in ${namespace}: ${left.join(', ')}`);
  }, { retries: 30, factor: 1, minTimeout: 2000 });
}

/** Objects of this suite's instance left anywhere the run could have put them. */
async function leftovers(namespace: string): Promise<string[]> {
  return (await instanceLeftovers(kube, namespace)).map((l) => l.what);
}

before(async () => {
  ({ kubeconfig, kube } = await targetCluster());
  try {
    await kube.core.readNamespace({ name: foreignNamespace });
    assert.fail(`namespace ${foreignNamespace} exists already: this self-test deploys its foreign SPIRE there (remove it, or run on a cluster without it)`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  for (const o of foreign) await kube.objects.create(o, undefined, undefined, owner);
  const ca = await makeUpstreamCa('foreign-upstream.example.org', 24);
  await kube.core.createNamespacedSecret({
    namespace: foreignNamespace, fieldManager: owner,
    body: { metadata: { name: 'root-upstream-ca' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': ca.certPem, 'tls.key': ca.keyPem } },
  });
  await waitForWorkload(kube, 'StatefulSet', foreignNamespace, 'root-server', 180_000);
  await waitForWorkload(kube, 'DaemonSet', foreignNamespace, 'root-agent', 180_000);
});

after(async () => {
  await remove(kube, foreign);
  await deleteNamespaceAndWait(kube, foreignNamespace);
  rmSync(scratch, { recursive: true, force: true });
});

describe('beside a SPIRE the suite did not create', () => {
  let before: Snapshot;

  it('the foreign deployment serves, and is snapshotted', async () => {
    before = await snapshot(kube, [foreignNamespace], [foreignServer]);
    assert.ok(Object.keys(before).some((k) => k.startsWith('Pod spire/root-agent-')), 'the foreign root-agent runs');
  });

  it('a run on its namespace is refused before it changes anything, naming SPIRE_NAMESPACE', async () => {
    const r = runSync(undefined, ['specs/nested'], 'refused-default');
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /SetupError: this cluster already has Namespace spire, ClusterRole spire-conformance-server, .*not created by this suite: refusing to deploy over them\. Run this suite in another namespace \(SPIRE_NAMESPACE=/);
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    assert.deepEqual(changes(before, await snapshot(kube, [foreignNamespace], [foreignServer])), [], 'the refused run changed the foreign deployment');
  });

  it(`a run in ${runNamespace} passes beside it; a second run on ${runNamespace} is refused naming the first; nothing of either is left`, async () => {
    // The whole topology (all three modules) beside the foreign SPIRE, and one spec per module that
    // reaches across its names (Service DNS, bundle endpoint URLs, the registrar's namespaces): the
    // fault instance deploys all three in a second namespace, and runs its specs there, in every run.
    const first = runAsync(runNamespace, ['specs/nested/cross-server-validation.spec.ts', 'specs/oidc/relying-party-in-cluster.spec.ts', 'specs/federated/federation-carries-all-keys.spec.ts', 'specs/federated/registrar-follows-labels.spec.ts'], 'isolated');
    // Once the first run holds its lease, a second on the same namespace must be turned away.
    let ended: { status: number | null; output: string } | undefined;
    void first.then((r) => (ended = r));
    await pRetry(async () => {
      if (ended) throw new AbortError(`the run in ${runNamespace} ended (exit ${ended.status}) without ever holding its lock:\n${ended.output.slice(-3000)}`);
      await kube.objects.read({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: lockName(runNamespace), namespace: lockNamespace } });
    }, { retries: 60, factor: 1, minTimeout: 1000 });
    const second = runSync(runNamespace, ['specs/cluster'], 'second');
    assert.notEqual(second.status, 0, second.output);
    assert.match(second.output, new RegExp(`SetupError: namespace ${runNamespace} is in use by another run of this suite \\(run \\S+, pid \\d+ on [^:]+: .*; renewed \\d+ s ago\\): wait for it to end, or run this one beside it in another namespace`));
    assert.ok(second.ms < 30_000, `the refusal took ${second.ms} ms`);

    const r = await first;
    assert.equal(r.status, 0, r.output.slice(-6000));
    // Playwright's closing lines (the specs' own logs say "1 failed, 2 succeeded" of polls).
    assert.match(r.output, /^ {2}\d+ passed \(/m);
    assert.doesNotMatch(r.output, /^ {2}\d+ (failed|skipped|flaky|interrupted|did not run)$/m);
    await expectNothingLeft(runNamespace);
    // Deleted namespaces and released volumes go on their own clock: wait for the cluster to settle.
    await pRetry(async () => {
      const diff = changes(before, await snapshot(kube, [foreignNamespace], [foreignServer]));
      if (diff.length) throw new Error(`the foreign deployment or the cluster differ after the run:\n  ${diff.join('\n  ')}`);
    }, { retries: 30, factor: 1, minTimeout: 2000 });
  });

  it('the lease of a run killed without releasing it is taken over once expired, and released', async () => {
    const stale = microTime(new Date(Date.now() - 120_000));
    await kube.objects.create({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: lockName(runNamespace), namespace: lockNamespace },
      spec: { holderIdentity: 'run killed-earlier, pid 1 on elsewhere: npx playwright test', leaseDurationSeconds: 30, acquireTime: stale, renewTime: stale },
    } as KubernetesObject);
    const r = runSync(runNamespace, ['specs/cluster'], 'takeover');
    if (r.status !== 0) await kube.objects.delete({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: lockName(runNamespace), namespace: lockNamespace } }).catch(() => undefined);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /taking over the lock of a run that stopped renewing it 1\d\d s ago \(run killed-earlier, pid 1 on elsewhere/);
    await expectNothingLeft(runNamespace);
  });
});
