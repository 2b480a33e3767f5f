/** A module as cheap as possible (a namespace and a ConfigMap), to observe the fixture model itself. */
import type { Kube } from '../../fixtures/kube/client.ts';
import { apply, isNotFound } from '../../fixtures/kube/apply.ts';
import { managedBy, type ModuleDefinition } from '../../fixtures/modules/module.ts';

export const canaryNamespace = 'spire-conformance-canary';

export const canaryModule: ModuleDefinition<{ namespace: string }> = {
  name: 'canary',
  namespace: () => canaryNamespace,
  fingerprint: () => 'v1',
  objects: () => [{ apiVersion: 'v1', kind: 'Namespace', name: canaryNamespace }],
  deploy: async (ctx) => {
    await apply(ctx.kube, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: canaryNamespace, labels: { ...managedBy } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'canary', namespace: canaryNamespace, labels: { ...managedBy } } },
    ] as never);
  },
  healthy: async (ctx) => exists(ctx.kube),
  connect: () => Promise.resolve({ namespace: canaryNamespace }),
  // No SPIRE in it: nothing for the topology observer.
  observes: () => ({ servers: [], agentNamespaces: [] }),
};

async function exists(kube: Kube): Promise<boolean> {
  try {
    await kube.core.readNamespacedConfigMap({ name: 'canary', namespace: canaryNamespace });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
