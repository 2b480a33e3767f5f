// Preflight on a real cluster made to lack what the topology needs: the run stops in seconds with
// one line naming the cause and the fix, before anything is created. Needs the local cluster (or
// CLUSTER=kubeconfig with admin rights); every change made here is undone whatever happened.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import pRetry from 'p-retry';
import type { Kube } from '../../fixtures/kube/client.ts';
import { deleteNamespaceAndWait, targetCluster } from '../support/target-cluster.ts';
import { repoRoot } from '../../fixtures/versions.ts';

const scratch = mkdtempSync(join(tmpdir(), 'spire-k8s-preflight-'));
const probeNamespace = 'spire-k8s-preflight-probe';
let kube: Kube;
let adminKubeconfig: string;

function run(kubeconfig: string, extraEnv: Record<string, string> = {}): { status: number | null; output: string; ms: number } {
  const started = Date.now();
  const r = spawnSync('npx', ['playwright', 'test', 'specs/cluster', '--reporter=line', '--output', join(scratch, 'out')], {
    cwd: repoRoot, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, CLUSTER: 'kubeconfig', KUBECONFIG: kubeconfig, KUBE_CONTEXT: '', SPIRE_K8S_REPORTS: join(scratch, 'reports'), ...extraEnv },
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, ms: Date.now() - started };
}

/** The run stops before creating anything, in seconds, with the one line expected. */
function expectRefused(kubeconfig: string, line: RegExp, extraEnv: Record<string, string> = {}): void {
  const r = run(kubeconfig, extraEnv);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, line);
  assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
}

before(async () => {
  ({ kubeconfig: adminKubeconfig, kube } = await targetCluster());
});

after(async () => {
  await deleteNamespaceAndWait(kube, probeNamespace);
  rmSync(scratch, { recursive: true, force: true });
});

describe('preflight', () => {
  it('no default StorageClass: says so, and how to get one on EKS, in seconds', async () => {
    const storage = kube.config.makeApiClient(k8s.StorageV1Api);
    const defaults = (await storage.listStorageClass()).items.filter((c) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
    assert.ok(defaults.length > 0, 'the cluster under test has a default StorageClass to take away');
    const mark = (value: string) => Promise.all(defaults.map((c) => storage.patchStorageClass(
      { name: c.metadata!.name!, body: { metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': value } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )));
    await mark('false');
    try {
      expectRefused(adminKubeconfig, /SetupError: the cluster has no default StorageClass: the SPIRE servers keep their datastore on PVCs\. .* on EKS install the Amazon EBS CSI driver add-on/);
    } finally {
      await mark('true');
    }
  });

  it('only Fargate nodes: says no node can run the agents\' DaemonSets, and what to add', async () => {
    const nodes = (await kube.core.listNode()).items;
    const label = (value: string | null) => Promise.all(nodes.map((n) => kube.core.patchNode(
      { name: n.metadata!.name!, body: { metadata: { labels: { 'eks.amazonaws.com/compute-type': value } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )));
    await label('fargate');
    try {
      expectRefused(adminKubeconfig, /SetupError: no node can run the SPIRE agents' DaemonSets \(of \d+: .*a Fargate node, which runs no DaemonSets\): add a schedulable node \(on EKS, an EC2 node group\)/);
    } finally {
      await label(null);
    }
  });

  it('a namespace whose Pod Security level refuses the agents: names the level and the fix, in seconds', async () => {
    // The instance's namespace made by someone else (a platform team), enforcing baseline (no hostPID,
    // hostNetwork, hostPath), and handed to the suite (REUSE=1).
    await kube.core.createNamespace({ body: { metadata: { name: probeNamespace, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } } });
    try {
      expectRefused(adminKubeconfig, new RegExp(`SetupError: the SPIRE agents need hostPID, hostNetwork and hostPath in namespace ${probeNamespace}, and a pod like root-agent would be refused: .*violates PodSecurity "baseline:latest": host namespaces \\(hostNetwork=true, hostPID=true\\).*hostPath volumes.*\\. Label it pod-security\\.kubernetes\\.io/enforce=privileged`), { SPIRE_NAMESPACE: probeNamespace, REUSE: '1' });
    } finally {
      await deleteNamespaceAndWait(kube, probeNamespace);
    }
  });

  it('an API server that will not issue tokens for the agents\' audience: says what k8s_psat needs, in seconds', async () => {
    // A cluster policy (ValidatingAdmissionPolicy, as a policy engine would) refusing TokenRequests
    // for audience spire-server: the kubelet's requests for the agents' projected tokens fail the same way.
    const admission = kube.config.makeApiClient(k8s.AdmissionregistrationV1Api);
    const name = 'spire-k8s-preflight-no-spire-server-tokens';
    await admission.createValidatingAdmissionPolicy({ body: {
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['serviceaccounts/token'] }] },
        validations: [{ expression: "!object.spec.audiences.exists(a, a == 'spire-server')", message: 'tokens for audience spire-server are not issued on this cluster' }],
      },
    } });
    await admission.createValidatingAdmissionPolicyBinding({ body: { metadata: { name }, spec: { policyName: name, validationActions: ['Deny'] } } });
    try {
      // The policy takes effect once the API server has loaded it: wait for a refusal.
      await pRetry(async () => {
        try {
          await kube.core.createNamespacedServiceAccountToken({ namespace: 'default', name: 'default', body: { spec: { audiences: ['spire-server'], expirationSeconds: 600 } } });
        } catch {
          return;
        }
        throw new Error('the policy does not refuse tokens yet');
      }, { retries: 30, factor: 1, minTimeout: 1000 });
      expectRefused(adminKubeconfig, /SetupError: the agents attest with projected service-account tokens \(k8s_psat\), and a token for audience spire-server was refused: .*tokens for audience spire-server are not issued on this cluster.*\. The API server must issue and review tokens for audience spire-server/);
    } finally {
      await admission.deleteValidatingAdmissionPolicyBinding({ name });
      await admission.deleteValidatingAdmissionPolicy({ name });
    }
  });

  it('a user who may not create what the suite creates: names each missing permission, in seconds', async () => {
    // A service account with no rights at all, as a kubeconfig user.
    await kube.core.createNamespace({ body: { metadata: { name: probeNamespace } } });
    await kube.core.createNamespacedServiceAccount({ namespace: probeNamespace, body: { metadata: { name: 'nobody' } } });
    const token = (await kube.core.createNamespacedServiceAccountToken({ namespace: probeNamespace, name: 'nobody', body: { spec: { audiences: [], expirationSeconds: 600 } } })).status!.token;
    const cluster = kube.config.getCurrentCluster()!;
    const limited = join(scratch, 'nobody.kubeconfig');
    writeFileSync(limited, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'nobody',
      clusters: [{ name: 'c', cluster: { server: cluster.server, ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}), ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : {}) } }],
      users: [{ name: 'nobody', user: { token } }],
      contexts: [{ name: 'nobody', context: { cluster: 'c', user: 'nobody' } }],
    }));
    expectRefused(limited, /SetupError: this user may not create namespaces, create clusterroles\.rbac\.authorization\.k8s\.io, .*create pods\/exec in spire.*: the suite creates these; grant them/);
  });
});
