// `npm run leftovers`: whether anything of this suite's instances is still in the cluster
// (namespaces, cluster-scoped objects, run locks), each named; exits 1 if so. `npm test` runs it
// after the suite: a run's teardown must leave nothing. Modules `topology up` keeps are the
// operator's and are not counted. The cluster: CLUSTER=kubeconfig or the running local one; a
// disposable k3s is gone with its run.
import { existingCluster } from '../fixtures/cluster/select.ts';
import { clients, ensureReachable, loadKubeConfig } from '../fixtures/kube/client.ts';
import { moduleNames } from '../fixtures/modules/catalog.ts';
import { readMarker } from '../fixtures/modules/module.ts';
import { SetupError } from '../fixtures/suite/errors.ts';
import { leftovers } from '../fixtures/suite/leftovers.ts';
import { readOptions } from '../fixtures/suite/options.ts';

try {
  const options = readOptions();
  if (options.cluster === 'k3s') {
    console.log('leftovers: none to look for (the k3s cluster was disposable, and is gone with its run)');
    process.exit(0);
  }
  const cluster = await existingCluster(options);
  if (!cluster) throw new SetupError('no cluster to look at: start the local one (npm run cluster:up) or set CLUSTER=kubeconfig (KUBECONFIG, KUBE_CONTEXT).');
  const kube = clients(loadKubeConfig(cluster.kubeconfigPath, cluster.context));
  await ensureReachable(kube, 10_000);
  const found = await leftovers(kube);
  const instances = [...new Set(found.map((l) => l.instance))];
  // An instance with a module `topology up` keeps is the operator's deployment, not a leftover.
  const kept = new Set<string>();
  for (const instance of instances) {
    const markers = await Promise.all(moduleNames.map((m) => readMarker(kube, instance, m)));
    if (markers.some((m) => m?.owner === 'topology')) kept.add(instance);
  }
  for (const instance of kept) console.log(`leftovers: instance ${instance} is kept by \`topology up\` (\`npm run topology -- down --all\` removes it)`);
  const left = found.filter((l) => !kept.has(l.instance));
  if (!left.length) {
    console.log(`leftovers: none in ${kube.server}`);
  } else {
    console.log(`leftovers: ${left.length} object${left.length > 1 ? 's' : ''} of this suite's instances left in ${kube.server}:\n${left.map((l) => `  ${l.what} (instance ${l.instance || '?'})`).join('\n')}\n` +
      'A run killed before its end is cleaned by `npm run clean`; anything else here is a removal that left it: a defect of the suite.');
    process.exitCode = 1;
  }
} catch (error) {
  console.error(error instanceof SetupError ? error.message : error);
  process.exitCode = 2;
}
