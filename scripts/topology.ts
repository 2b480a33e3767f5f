/**
 * The topology as an operator's tool (`npm run topology -- <command>`):
 *
 *   up MODULE                      deploy it and what it stands on (nested first), reusing a healthy deployment
 *   down MODULE [--with-dependents] | down --all
 *   status                         each module: fingerprint, health, age, trust domains and JWT kids
 *   audit [audit.yaml] [--touch-workloads] [--allow-not-checked] [--json]
 *                                  the read-only audit, one line per check (√ ‼ × –); exit 0
 *                                  conformant, 1 not (or partly checked), 2 could not run
 *
 * Modules `up` deploys are kept: spec runs reuse them and never remove them. The cluster is the
 * running local one (CLUSTER=local, the default) or CLUSTER=kubeconfig; a disposable k3s would die
 * with this command, so it is refused.
 */
import { sharedInstance } from '../fixtures/suite/instance.ts';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localCluster, localClusterRunning } from '../fixtures/cluster/local.ts';
import { kubeconfigCluster } from '../fixtures/cluster/kubeconfig.ts';
import type { ClusterHandle } from '../fixtures/cluster/provider.ts';
import { clients, loadKubeConfig } from '../fixtures/kube/client.ts';
import { dependentsOf, isModuleName, moduleNames, modules, withDependencies, type ModuleName } from '../fixtures/modules/catalog.ts';
import { ensureModule, readMarkerAt, type ModuleContext } from '../fixtures/modules/module.ts';
import { ownedByRun, removeModule } from '../fixtures/modules/teardown.ts';
import { readLedger, recordEnded } from '../fixtures/suite/ledger.ts';
import type { FederatedDeployment } from '../fixtures/modules/federated.ts';
import type { NestedDeployment } from '../fixtures/modules/nested.ts';
import type { OidcDeployment } from '../fixtures/modules/oidc.ts';
import { agentBin, serverBin, serverContainer, serverPodName, workloadSocket, type ServerRef } from '../fixtures/spire-api/cli.ts';
import { SetupError } from '../fixtures/suite/errors.ts';
import { readOptions, type SuiteOptions } from '../fixtures/suite/options.ts';
import { acquireRunLock } from '../fixtures/suite/run-lock.ts';
import { observeTopology } from '../fixtures/topology/observe.ts';
import { repoRoot } from '../fixtures/versions.ts';
import { auditExitCode, renderAuditText, type AuditResults } from '../reporter/render-audit.ts';
import { runDirectory } from '../reporter/run-folder.ts';

const usage = `usage: npm run topology -- up <${moduleNames.join('|')}>
       npm run topology -- down <${moduleNames.join('|')}> [--with-dependents] | down --all
       npm run topology -- status
       npm run topology -- audit [audit.yaml] [--touch-workloads] [--allow-not-checked] [--json]`;

async function operatorCluster(options: SuiteOptions, boot: boolean): Promise<ClusterHandle> {
  if (options.cluster === 'k3s') throw new SetupError('topology commands need a cluster that outlives them: CLUSTER=local (npm run cluster:up) or CLUSTER=kubeconfig, not a disposable k3s.');
  if (options.cluster === 'kubeconfig') return kubeconfigCluster(options);
  if (boot) return localCluster({ ...options, keep: true });
  const path = await localClusterRunning();
  if (!path) throw new SetupError('no local cluster is running: start it with `npm run cluster:up` (or `topology up`, which boots it), or target another with CLUSTER=kubeconfig.');
  return { kind: 'local', kubeconfigPath: path, context: undefined, description: 'local cluster', stop: async () => {} };
}

function context(cluster: ClusterHandle, options: SuiteOptions): ModuleContext {
  const runId = `topology-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const dir = join(repoRoot, 'reports', '.runs');
  mkdirSync(dir, { recursive: true });
  return {
    kube: clients(loadKubeConfig(cluster.kubeconfigPath, cluster.context)),
    options,
    run: { runId, cluster: cluster.kind, kubeconfigPath: cluster.kubeconfigPath, context: cluster.context, description: cluster.description, ledgerPath: join(dir, `${runId}.ledger.jsonl`) },
    // The operator's topology is SPIRE_NAMESPACE's instance, the one a run shares.
    instance: sharedInstance(options.namespace),
    log: (line) => console.log(`  ${line}`),
  };
}

const serverLine = (s: ServerRef) => `${s.name.padEnd(18)} kubectl -n ${s.namespace} exec ${serverPodName(s)} -c ${serverContainer(s)} -- ${serverBin} bundle show`;
const workloadLine = (w: { pod: string; namespace: string; container: string }) => `${w.pod.padEnd(18)} kubectl -n ${w.namespace} exec ${w.pod} -c ${w.container} -- ${agentBin} api fetch x509 -socketPath ${workloadSocket}`;

/** How to reach what a module deployed, as commands to paste. */
function reach(name: ModuleName, deployment: unknown): string[] {
  if (name === 'nested') {
    const d = deployment as NestedDeployment;
    return [...Object.values(d.servers).map(serverLine), ...Object.values(d.workloads).map(workloadLine)];
  }
  if (name === 'federated') {
    const d = deployment as FederatedDeployment;
    return [...Object.values(d.servers).map(serverLine), ...Object.values(d.workloads).map(workloadLine)];
  }
  const d = deployment as OidcDeployment;
  return [`${d.service.padEnd(18)} kubectl -n ${d.namespace} port-forward pod/${d.pod} 8080:${d.podPort} & curl -H 'Host: ${d.domain}' http://localhost:8080/keys`];
}

/** Deploying or removing holds the instance as a run does: never beside a run on the same namespace. */
async function holdingInstance(ctx: ModuleContext, fn: () => Promise<void>): Promise<void> {
  const lock = await acquireRunLock(ctx.kube, ctx.instance.namespace, `topology-${process.pid}`, `npm run topology -- ${process.argv.slice(2).join(' ')}`);
  try {
    await fn();
  } finally {
    await lock.release();
  }
}

async function up(name: ModuleName, options: SuiteOptions): Promise<void> {
  const cluster = await operatorCluster(options, true);
  const ctx = context(cluster, options);
  console.log(`cluster: ${cluster.description}\nexport KUBECONFIG=${cluster.kubeconfigPath}`);
  // Whatever happens, this invocation leaves nothing for `npm run clean`: kept modules, or none.
  process.on('exit', () => recordEnded(ctx.run.ledgerPath));
  await holdingInstance(ctx, async () => {
    for (const m of withDependencies(name)) {
      console.log(`[${m}]`);
      let deployment;
      try {
        deployment = await ensureModule({ ...ctx, log: (l) => console.log(`[${m}] ${l}`) }, modules[m], 0, 'topology');
      } catch (error) {
        // A half-made module is no one's to keep: remove what this deploy owned (the modules under it stay).
        const owned = ownedByRun(readLedger(ctx.run.ledgerPath)).find((o) => o.module === m);
        if (owned) console.log(`[${m}] ${(await removeModule(ctx.kube, m, owned.objects, ctx.instance.namespace)).line}`);
        throw error;
      }
      for (const line of reach(m, deployment)) console.log(`  ${line}`);
    }
  });
}

async function remove(ctx: ModuleContext, name: ModuleName): Promise<void> {
  const marker = await readMarkerAt(ctx, modules[name]);
  if (!marker) {
    console.log(`${name}: not deployed`);
    return;
  }
  const { problems, line } = await removeModule(ctx.kube, name, marker.objects, ctx.instance.namespace);
  if (problems.length) throw new Error(line);
  console.log(line);
}

async function down(args: string[], options: SuiteOptions): Promise<void> {
  const ctx = context(await operatorCluster(options, false), options);
  const all = args.includes('--all');
  const name = args.find((a) => !a.startsWith('--'));
  if (!all && (!name || !isModuleName(name))) throw new SetupError(`down needs a module (${moduleNames.join(', ')}) or --all\n${usage}`);
  const deployed = new Set<ModuleName>();
  for (const m of moduleNames) if (await readMarkerAt(ctx, modules[m])) deployed.add(m);
  let targets: ModuleName[];
  if (all) targets = [...moduleNames];
  else {
    const above = dependentsOf(name as ModuleName).filter((d) => deployed.has(d));
    if (above.length && !args.includes('--with-dependents')) {
      throw new SetupError(`${name} is under ${above.join(' and ')}, which are deployed: remove them first, or run \`npm run topology -- down ${name} --with-dependents\`.`);
    }
    targets = [...above, name as ModuleName];
  }
  // Dependents first: oidc and federated stand on nested.
  await holdingInstance(ctx, async () => {
    for (const m of [...targets].sort((a, b) => moduleNames.indexOf(b) - moduleNames.indexOf(a))) await remove(ctx, m);
  });
}

async function status(options: SuiteOptions): Promise<void> {
  const cluster = await operatorCluster(options, false);
  const ctx = context(cluster, options);
  console.log(`cluster: ${cluster.kubeconfigPath}`);
  for (const m of moduleNames) {
    const def = modules[m];
    const marker = await readMarkerAt(ctx, def);
    if (!marker) {
      console.log(`${m.padEnd(10)} not deployed`);
      continue;
    }
    const current = marker.fingerprint === def.fingerprint(ctx) ? 'current' : 'outdated (manifests or deployer changed since)';
    const healthy = await def.healthy(ctx, { configs: true });
    const age = marker.since ? `${Math.round((Date.now() - marker.since.getTime()) / 60_000)} min` : '?';
    const owner = marker.owner === 'topology' ? 'kept (topology up)' : `run ${marker.runId}${options.keep ? '' : ' (removed when that run ends)'}`;
    console.log(`${m.padEnd(10)} ${healthy ? 'healthy' : 'UNHEALTHY'}, ${current}, age ${age}, ${owner}`);
    if (!healthy) continue;
    const observed = await observeTopology(ctx.kube, { ...def.observes(ctx.instance), agentNamespaces: [] });
    for (const s of observed.servers) console.log(`  ${s.name.padEnd(18)} ${s.trustDomain.padEnd(14)} ${s.jwtKids} JWT kids`);
  }
}

const auditFlags = ['--touch-workloads', '--allow-not-checked', '--json'];

function audit(args: string[]): number {
  const unknown = args.filter((a) => a.startsWith('--') && !auditFlags.includes(a));
  if (unknown.length) throw new SetupError(`audit: unknown option ${unknown.join(', ')} (known: ${auditFlags.join(', ')})\n${usage}`);
  const file = args.find((a) => !a.startsWith('--'));
  const json = args.includes('--json');
  // The run's folder, chosen here (and handed to the run) so its results.json can be read after.
  const runDir = runDirectory(repoRoot);
  const run = spawnSync('npx', ['playwright', 'test', '--project', 'audit'], {
    cwd: repoRoot, stdio: ['ignore', json ? 'ignore' : 'inherit', 'inherit'],
    // Like every topology command, the running local cluster unless CLUSTER names another.
    env: { ...process.env, CLUSTER: process.env.CLUSTER || 'local', SPIRE_K8S_RUN_DIR: runDir, SPIRE_K8S_PROGRESS: 'dot', ...(file ? { AUDIT_FILE: file } : {}), ...(args.includes('--touch-workloads') ? { AUDIT_TOUCH_WORKLOADS: '1' } : {}) },
  });
  let results: AuditResults;
  try {
    results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as AuditResults;
  } catch (error) {
    console.error(`the audit wrote no results (${(error as Error).message}); playwright exited ${run.status}`);
    return 2;
  }
  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `\n${renderAuditText(results)}front page: ${join(runDir, 'index.html')}\n`);
  return auditExitCode(results, args.includes('--allow-not-checked'));
}

const [command, ...args] = process.argv.slice(2);
try {
  const options = readOptions();
  if (command === 'up') {
    const name = args[0];
    if (!name || !isModuleName(name)) throw new SetupError(`up needs a module: ${moduleNames.join(', ')}\n${usage}`);
    await up(name, options);
  } else if (command === 'down') await down(args, options);
  else if (command === 'status') await status(options);
  else if (command === 'audit') process.exitCode = audit(args);
  else throw new SetupError(`${command ? `unknown command ${command}` : 'no command'}\n${usage}`);
} catch (error) {
  console.error(error instanceof SetupError ? error.message : error);
  process.exitCode = 1;
}
