// Nothing left behind, whatever stops a run, on the local cluster (or CLUSTER=kubeconfig): a deploy
// made to fail midway by a cluster policy (it refuses one agent DaemonSet, after the namespace, RBAC,
// CA, root-server and root-agent exist), and a run interrupted (SIGINT, as Ctrl-C or a CI cancel)
// while it deploys. Each is compared, object by object, with the cluster before it: every object
// the suite labels (cluster-scoped ones included) and the run's lock.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import pRetry from 'p-retry';
import { isNotFound } from '../../fixtures/kube/apply.ts';
import type { Kube } from '../../fixtures/kube/client.ts';
import { targetCluster } from '../support/target-cluster.ts';
import { managedBy } from '../../fixtures/modules/module.ts';
import { repoRoot } from '../../fixtures/versions.ts';
import { selectorOf } from '../../fixtures/kube/selector.ts';
import { lockName, lockNamespace, microTime } from '../../fixtures/suite/run-lock.ts';

const scratch = mkdtempSync(join(tmpdir(), 'spire-k8s-leave-nothing-'));
const failNamespace = 'spire-conformance-fail';
const interruptNamespace = 'spire-conformance-int';
const killNamespace = 'spire-conformance-kill';
const policy = 'spire-k8s-selftest-refuse-nesteda-agent';
let kube: Kube;
let kubeconfig: string;

/** Every kind the deployers create, cluster-wide. */
const kinds: [string, string][] = [
  ['v1', 'Namespace'], ['v1', 'ConfigMap'], ['v1', 'Secret'], ['v1', 'Service'], ['v1', 'ServiceAccount'], ['v1', 'PersistentVolumeClaim'], ['v1', 'Pod'],
  ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'Deployment'],
  ['rbac.authorization.k8s.io/v1', 'Role'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
];

/** The suite's objects on the cluster (by its label), its leases, and the instance namespace. */
async function owned(namespace: string): Promise<string[]> {
  const out: string[] = [];
  const selector = selectorOf(managedBy);
  for (const [apiVersion, kind] of kinds) {
    const items = (await kube.objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, selector)).items;
    out.push(...items.map((o) => `${kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`));
  }
  for (const [apiVersion, kind, name, ns] of [['coordination.k8s.io/v1', 'Lease', lockName(namespace), lockNamespace], ['v1', 'Namespace', namespace, undefined]] as const) {
    try {
      await kube.objects.read({ apiVersion, kind, metadata: { name, ...(ns ? { namespace: ns } : {}) } });
      out.push(`${kind} ${ns ? `${ns}/` : ''}${name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return [...new Set(out)].sort();
}

/** Waits until the cluster holds exactly what it held before (a deleted namespace takes its time); returns how long that took. */
async function expectAsBefore(before: string[], namespace: string): Promise<number> {
  const started = Date.now();
  await pRetry(async () => {
    const now = await owned(namespace);
    const appeared = now.filter((k) => !before.includes(k));
    const gone = before.filter((k) => !now.includes(k));
    if (appeared.length || gone.length) throw new Error(`the cluster differs from before the run: left ${appeared.join(', ') || 'nothing'}; removed ${gone.join(', ') || 'nothing'}`);
  }, { retries: 45, factor: 1, minTimeout: 2000 });
  return (Date.now() - started) / 1000;
}

const env = (namespace: string, name: string) => ({
  ...process.env, CLUSTER: 'kubeconfig', KUBECONFIG: kubeconfig, KUBE_CONTEXT: '', KEEP: '', SPIRE_NAMESPACE: namespace, SPIRE_K8S_REPORTS: join(scratch, name), SPIRE_K8S_RUN_DIR: '',
});
const playwright = [join(repoRoot, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '--reporter=line', '--output', join(scratch, 'out')];

before(async () => {
  ({ kubeconfig, kube } = await targetCluster());
});

after(async () => {
  const admission = kube.config.makeApiClient(k8s.AdmissionregistrationV1Api);
  for (const remove of [() => admission.deleteValidatingAdmissionPolicyBinding({ name: policy }), () => admission.deleteValidatingAdmissionPolicy({ name: policy })]) {
    try {
      await remove();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe('nothing left behind', () => {
  it('a deploy made to fail midway: the failure names the step and the refusal, later workers do not redeploy, and the cluster is as before', async () => {
    const admission = kube.config.makeApiClient(k8s.AdmissionregistrationV1Api);
    await admission.createValidatingAdmissionPolicy({ body: {
      metadata: { name: policy },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['daemonsets'] }] },
        validations: [{ expression: `!(object.metadata.name == 'nesteda-agent' && object.metadata.namespace == '${failNamespace}')`, message: 'nesteda-agent is refused by the self-test policy' }],
      },
    } });
    await admission.createValidatingAdmissionPolicyBinding({ body: { metadata: { name: policy }, spec: { policyName: policy, validationActions: ['Deny'] } } });
    const before = await owned(failNamespace);
    const r = spawnSync(process.execPath, [...playwright, 'specs/nested/jwks-uniform.spec.ts', 'specs/nested/negatives.spec.ts'], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000, env: env(failNamespace, 'failed') });
    const output = `${r.stdout}${r.stderr}`;
    assert.notEqual(r.status, 0, output.slice(-4000));
    assert.match(output, /nestedA-agent, nestedB-agent and the workloads.*nesteda-agent is refused by the self-test policy/s);
    assert.match(output, /nested: its deploy failed earlier in this run \(worker \d+\), not tried again/);
    assert.equal((output.match(/\[nested\] nested: deploying/g) ?? []).length, 1, 'the module was deployed more than once');
    // The failing test carries the evidence: the namespace's events and logs, each server's own state.
    assert.match(output, /attachment #\d+: spire state root-server/);
    assert.match(output, /attachment #\d+: events spire-conformance-fail/);
    const seconds = await expectAsBefore(before, failNamespace);
    console.log(`after the failed deploy, the cluster was as before ${seconds.toFixed(1)} s after the run ended`);
  });

  it('a run killed (SIGKILL) while it deploys: `npm run clean` removes what it left, once its lock has expired', async () => {
    const before = await owned(killNamespace);
    // Its own process group, so that the kill takes Playwright and its workers at once, as a lost machine would.
    const child = spawn(process.execPath, [...playwright, 'specs/nested'], { cwd: repoRoot, env: env(killNamespace, 'killed'), detached: true, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await pRetry(async () => {
      await kube.apps.readNamespacedStatefulSet({ name: 'root-server', namespace: killNamespace });
    }, { retries: 120, factor: 1, minTimeout: 500 });
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const left = (await owned(killNamespace)).filter((k) => !before.includes(k));
    assert.ok(left.some((k) => k === `Namespace ${killNamespace}`), `a killed run cannot clean up: expected its objects left, found ${left.join(', ') || 'none'}`);
    // While its lock is fresh the run may still be alive: clean leaves it alone.
    const early = spawnSync('npx', ['tsx', 'scripts/clean.ts'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, env: env(killNamespace, 'clean') });
    assert.match(`${early.stdout}${early.stderr}`, new RegExp(`nested: left alone, a run holds namespace ${killNamespace}`));
    // Its lease as it reads once its 30 s have run out with no renewal (what clean judges by, from
    // renewTime): aged rather than waited out.
    // Every lease the run held: its instance's and its fault instance's (<namespace>-faults).
    const leases = kube.config.makeApiClient(k8s.CoordinationV1Api);
    const held = (await leases.listNamespacedLease({ namespace: lockNamespace })).items.filter((l) => l.metadata?.name?.startsWith(lockName(killNamespace)));
    assert.ok(held.length > 0, `the killed run holds no lease named ${lockName(killNamespace)}*`);
    for (const lease of held) {
      lease.spec = { ...lease.spec, renewTime: microTime(new Date(Date.now() - 31_000)) };
      await leases.replaceNamespacedLease({ name: lease.metadata!.name!, namespace: lockNamespace, body: lease });
    }
    const clean = spawnSync('npx', ['tsx', 'scripts/clean.ts'], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000, env: env(killNamespace, 'clean') });
    const output = `${clean.stdout}${clean.stderr}`;
    assert.equal(clean.status, 0, output);
    assert.match(output, /\(ended without removing what it owned\): nested: removed in [\d.]+ s/);
    const seconds = await expectAsBefore(before, killNamespace);
    console.log(`after npm run clean, the cluster was as before ${seconds.toFixed(1)} s after it ended`);
  });

  it('a run interrupted (SIGINT) while it deploys: the cluster is as before', async () => {
    const before = await owned(interruptNamespace);
    const child = spawn(process.execPath, [...playwright, 'specs/nested'], { cwd: repoRoot, env: env(interruptNamespace, 'interrupted') });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Midway: root-server exists, the agents do not yet.
    await pRetry(async () => {
      await kube.apps.readNamespacedStatefulSet({ name: 'root-server', namespace: interruptNamespace });
    }, { retries: 120, factor: 1, minTimeout: 500 });
    child.kill('SIGINT');
    const status = await exited;
    assert.notEqual(status, 0, output.slice(-4000));
    const seconds = await expectAsBefore(before, interruptNamespace);
    console.log(`after SIGINT, the cluster was as before ${seconds.toFixed(1)} s after the run ended`);
  });
});
