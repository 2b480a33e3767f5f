/**
 * The federation detector on its own, read-only, against any cluster running SPIRE servers (found
 * by what their pods run, in one namespace): one verdict per relationship, both directions, with
 * the figures behind it. Exits 1 when a relationship is stale or not refreshing, or cannot be
 * judged; at-risk is reported and exits 0 (nothing is wrong yet).
 *
 *   npx tsx scripts/federation-report.ts [--namespace spire] [--json]
 *
 * KUBECONFIG and KUBE_CONTEXT choose the cluster (default: the local cluster's admin kubeconfig
 * when it exists, else ~/.kube/config).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { clients, ensureReachable, loadKubeConfig } from '../fixtures/kube/client.ts';
import { observeFederation } from '../fixtures/spire/federation-state.ts';
import { discoverServers } from '../fixtures/audit/resolve.ts';
import { readOnlyKube } from '../fixtures/audit/read-only.ts';
import { formatSeconds } from '../fixtures/topology/go-duration.ts';

const { values } = parseArgs({ options: { namespace: { type: 'string', default: 'spire' }, json: { type: 'boolean', default: false } } });
const local = '/var/lib/spire-k8s-local/admin.kubeconfig';
const path = process.env.KUBECONFIG || (existsSync(local) ? local : join(homedir(), '.kube', 'config'));

try {
  const kube = readOnlyKube(clients(loadKubeConfig(path, process.env.KUBE_CONTEXT || undefined)));
  await ensureReachable(kube);
  const servers = await discoverServers(kube, values.namespace);
  const o = await observeFederation(kube, servers);
  if (values.json) console.log(JSON.stringify({ at: o.at, verdicts: o.verdicts, problems: o.problems }, null, 2));
  else {
    console.log(`federation at ${o.at.toISOString()} — servers: ${o.servers.map((s) => `${s.ref.name} (${s.config.trustDomain})`).join(', ')}\n`);
    for (const v of o.verdicts) {
      const t = v.timing;
      console.log(`${v.verdict.toUpperCase().padEnd(15)} ${v.relationship} (from ${v.peer}, ${v.url ?? '?'})`);
      console.log(`${''.padEnd(15)} poll every ${formatSeconds(t.pollSeconds)}, lag ≤ ${formatSeconds(t.copyLagSeconds)} (copy) / ${formatSeconds(t.workloadLagSeconds)} (workloads), lead ${formatSeconds(t.leadSeconds)}`);
      console.log(`${''.padEnd(15)} ${v.reason}${v.missingInputs.length ? `\n${''.padEnd(15)} judged without: ${v.missingInputs.join(', ')}` : ''}\n`);
    }
    if (o.verdicts.length === 0) console.log('no federation relationship found');
    for (const p of o.problems) console.log(`CANNOT JUDGE    ${p}`);
  }
  process.exit(o.problems.length || o.verdicts.some((v) => v.verdict === 'stale' || v.verdict === 'not-refreshing') ? 1 : 0);
} catch (error) {
  console.error(`federation-report: ${(error as Error).message}`);
  process.exit(2);
}
