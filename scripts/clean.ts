// `npm run clean`: removes what runs killed before their end (SIGKILL, a lost CI machine) left on
// the cluster. Each run's ledger (reports/.runs/<run>.ledger.jsonl) lists what it owned before it
// created it; a ledger that never recorded its end is removed module by module and then marked
// ended. Left alone: kept modules (`topology up`), a module whose namespace a run holds now (its
// lock), and one a later run has made its own (its marker names that run). The cluster is the one
// the suite would use: CLUSTER=kubeconfig (KUBECONFIG, KUBE_CONTEXT) or the running local one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { existingCluster } from '../fixtures/cluster/select.ts';
import { clients, ensureReachable, loadKubeConfig } from '../fixtures/kube/client.ts';
import { markerName, readMarker } from '../fixtures/modules/module.ts';
import { ownedByRun, removeModule } from '../fixtures/modules/teardown.ts';
import { isNotFound } from '../fixtures/kube/apply.ts';
import { SetupError } from '../fixtures/suite/errors.ts';
import { hasEnded, readLedger, recordEnded } from '../fixtures/suite/ledger.ts';
import { readOptions } from '../fixtures/suite/options.ts';
import { leaseHeld, lockName, lockNamespace } from '../fixtures/suite/run-lock.ts';
import { repoRoot } from '../fixtures/versions.ts';

try {
  const options = readOptions();
  const cluster = await existingCluster(options);
  if (!cluster) throw new SetupError('no cluster to clean: start the local one (npm run cluster:up) or set CLUSTER=kubeconfig (KUBECONFIG, KUBE_CONTEXT).');
  const kube = clients(loadKubeConfig(cluster.kubeconfigPath, cluster.context));
  await ensureReachable(kube, 10_000);
  const coordination = kube.config.makeApiClient(k8s.CoordinationV1Api);
  const dir = join(repoRoot, 'reports', '.runs');
  const ledgers = readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.ledger.jsonl')).map((f) => f.name).sort();
  let cleaned = 0;
  // Read when judged, not once: a live run renews its lock every 10 s.
  const leaseOf = async (namespace: string) => {
    try {
      return await coordination.readNamespacedLease({ name: lockName(namespace), namespace: lockNamespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  for (const file of ledgers) {
    const ledgerPath = join(dir, file);
    const ledger = readLedger(ledgerPath);
    // Ended, or from before ledgers recorded what a deploy owned ahead of it (nothing to go by).
    if (hasEnded(ledger) || !ledger.some((e) => e.action === 'deploying')) continue;
    const runId = file.replace(/\.ledger\.jsonl$/, '');
    let left = false;
    for (const { module, instance, objects, kept } of ownedByRun(ledger).reverse()) {
      if (kept) continue;
      // The module's marker names its instance; the instance's lock and marker say whether it is still this run's.
      const marker = objects.find((o) => o.kind === 'ConfigMap' && o.name === markerName(module));
      const namespace = marker?.namespace;
      const lease = namespace ? await leaseOf(namespace) : undefined;
      if (namespace && lease && leaseHeld(lease)) {
        console.log(`run ${runId}: ${module}: left alone, a run holds namespace ${namespace} (${lease?.spec?.holderIdentity})`);
        left = true;
        continue;
      }
      const now = namespace ? await readMarker(kube, namespace, module) : undefined;
      if (now && now.runId !== runId) {
        console.log(`run ${runId}: ${module}: left alone, it is run ${now.runId}'s deployment now`);
        continue;
      }
      const { problems, line } = await removeModule(kube, module, objects, instance);
      console.log(`run ${runId} (ended without removing what it owned): ${line}`);
      left ||= problems.length > 0;
    }
    if (left) {
      process.exitCode = 1;
      continue;
    }
    // Its lock too, once expired (a fresh one left the modules alone above).
    const leases = (await coordination.listNamespacedLease({ namespace: lockNamespace, labelSelector: 'app.kubernetes.io/managed-by=spire-k8s-conformance' })).items;
    for (const lease of leases.filter((l) => l.spec?.holderIdentity?.startsWith(`run ${runId},`) && !leaseHeld(l))) {
      await coordination.deleteNamespacedLease({ name: lease.metadata!.name!, namespace: lockNamespace }).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
    recordEnded(ledgerPath);
    cleaned += 1;
  }
  console.log(cleaned ? `cleaned ${cleaned} run(s)` : 'nothing to clean');
} catch (error) {
  console.error(error instanceof SetupError ? error.message : error);
  process.exitCode = 1;
}
