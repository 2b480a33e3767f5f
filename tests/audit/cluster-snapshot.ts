/**
 * What an audit must leave exactly as it found it: every object's resourceVersion in the audited
 * namespaces and the cluster-scoped kinds a SPIRE deployment owns, and each server's entries,
 * bundles and federation relationships as its own CLI prints them. Kinds the control plane
 * rewrites on its own clock (Events, Leases, Nodes, EndpointSlices) are left out.
 */
import type { Kube } from '../../fixtures/kube/client.ts';
import { spireServer, type ServerRef } from '../../fixtures/spire/cli.ts';

const namespaced: [string, string][] = [
  ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'ConfigMap'], ['v1', 'Secret'], ['v1', 'ServiceAccount'], ['v1', 'PersistentVolumeClaim'],
  ['apps/v1', 'StatefulSet'], ['apps/v1', 'Deployment'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'ReplicaSet'],
  ['rbac.authorization.k8s.io/v1', 'Role'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
];
const clusterScoped: [string, string][] = [
  ['v1', 'Namespace'], ['rbac.authorization.k8s.io/v1', 'ClusterRole'], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'], ['v1', 'PersistentVolume'],
];

export type Snapshot = Record<string, string>;

export async function snapshot(kube: Kube, namespaces: string[], servers: ServerRef[]): Promise<Snapshot> {
  const out: Snapshot = {};
  const list = async (apiVersion: string, kind: string, namespace?: string) => {
    const items = (await kube.objects.list(apiVersion, kind, namespace)).items;
    for (const o of items) out[`${kind} ${namespace ? `${namespace}/` : ''}${o.metadata?.name}`] = o.metadata?.resourceVersion ?? '?';
  };
  for (const ns of namespaces) for (const [v, k] of namespaced) await list(v, k, ns);
  for (const [v, k] of clusterScoped) await list(v, k);
  for (const s of servers) {
    out[`${s.name}: entry show`] = await spireServer(kube, s, ['entry', 'show', '-output', 'json']);
    out[`${s.name}: bundle show`] = await spireServer(kube, s, ['bundle', 'show', '-format', 'spiffe']);
    out[`${s.name}: bundle list`] = await spireServer(kube, s, ['bundle', 'list', '-format', 'spiffe']);
    out[`${s.name}: federation list`] = await spireServer(kube, s, ['federation', 'list', '-output', 'json']);
  }
  return out;
}

/** Every key whose value changed, appeared or disappeared, with before → after. */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => before[k] !== after[k]).map((k) => `${k}: ${before[k] === undefined ? '(absent)' : before[k].slice(0, 60)} → ${after[k] === undefined ? '(absent)' : after[k].slice(0, 60)}`);
}
