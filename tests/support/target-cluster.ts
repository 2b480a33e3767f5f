/**
 * The cluster the self-tests run against: CLUSTER=kubeconfig (KUBECONFIG) or the running local
 * one; and the namespace deletion they wait out (the next test may create it again).
 */
import assert from 'node:assert/strict';
import { localClusterRunning } from '../../fixtures/cluster/local.ts';
import { isNotFound } from '../../fixtures/kube/apply.ts';
import { clients, loadKubeConfig, type Kube } from '../../fixtures/kube/client.ts';
import { waitForNamespaceGone } from '../../fixtures/kube/wait.ts';

export async function targetCluster(): Promise<{ kubeconfig: string; kube: Kube }> {
  const kubeconfig = (process.env.CLUSTER === 'kubeconfig' ? process.env.KUBECONFIG : await localClusterRunning()) ?? '';
  assert.ok(kubeconfig, 'needs a running cluster: the local one (npm run cluster:up) or CLUSTER=kubeconfig');
  return { kubeconfig, kube: clients(loadKubeConfig(kubeconfig)) };
}

/** Deletes a namespace (if there is one) and waits until it is gone. */
export async function deleteNamespaceAndWait(kube: Kube, name: string): Promise<void> {
  try {
    await kube.core.deleteNamespace({ name });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    return;
  }
  await waitForNamespaceGone(kube, name, 120_000);
}
