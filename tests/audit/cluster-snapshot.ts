/**
 * What an audit must leave exactly as it found it: every object's resourceVersion in the audited
 * namespaces and the cluster-scoped kinds a SPIRE deployment owns, and each server's entries,
 * bundles and federation relationships as its own CLI prints them (as JSON in canonical order:
 * SPIRE lists keys in map order, which differs between two calls on an unchanged bundle). Kinds
 * the control plane rewrites on its own clock (Events, Leases, Nodes, EndpointSlices) are left out.
 */
import type { Kube } from '../../fixtures/kube/client.ts';
import { spireServer, type ServerRef } from '../../fixtures/spire-api/cli.ts';

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

/** The same content always prints the same: object members and array elements sorted. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  return value;
}

const canonicalJson = (text: string) => JSON.stringify(canonical(JSON.parse(text)), null, 1);

export async function snapshot(kube: Kube, namespaces: string[], servers: ServerRef[]): Promise<Snapshot> {
  const out: Snapshot = {};
  const list = async (apiVersion: string, kind: string, namespace?: string) => {
    const items = (await kube.objects.list(apiVersion, kind, namespace)).items;
    for (const o of items) out[`${kind} ${namespace ? `${namespace}/` : ''}${o.metadata?.name}`] = o.metadata?.resourceVersion ?? '?';
  };
  for (const ns of namespaces) for (const [v, k] of namespaced) await list(v, k, ns);
  for (const [v, k] of clusterScoped) await list(v, k);
  for (const s of servers) {
    for (const command of [['entry', 'show'], ['bundle', 'show'], ['bundle', 'list'], ['federation', 'list']]) {
      out[`${s.name}: ${command.join(' ')}`] = canonicalJson(await spireServer(kube, s, [...command, '-output', 'json']));
    }
  }
  return out;
}

/** Every key whose value changed, appeared or disappeared: its first differing line, before → after. */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => before[k] !== after[k]).map((k) => {
    if (before[k] === undefined || after[k] === undefined) return `${k}: ${before[k] === undefined ? 'appeared' : 'disappeared'}`;
    const a = before[k].split('\n');
    const b = after[k].split('\n');
    const i = a.findIndex((line, n) => line !== b[n]);
    const at = i < 0 ? a.length : i;
    return `${k}, line ${at + 1}: ${JSON.stringify(a[at] ?? '(end)')} → ${JSON.stringify(b[at] ?? '(end)')}`;
  });
}
