/**
 * Measures how long a forced JWT rotation at federated-server (auxiliary.org, whose bundle
 * endpoint advertises the default refresh hint) takes to reach nestedC-server's federated copy,
 * with no manual refresh: the staleness a real deployment lives with.
 *
 * Needs the federated module deployed and kept:
 *   KEEP=1 npx playwright test specs/federated && npx tsx scripts/bench-federation-refresh.ts [runs]
 * Uses the local cluster's kubeconfig unless KUBECONFIG is set.
 */
import { clients, loadKubeConfig } from '../fixtures/kube/client.ts';
import { rotateJwtAuthority } from '../fixtures/spire/rotation.ts';
import { federatedBundle } from '../fixtures/spire/svids.ts';
import { jwtKids } from '../fixtures/verify/bundle.ts';

const kube = clients(loadKubeConfig(process.env.KUBECONFIG ?? '/var/lib/spire-k8s-local/admin.kubeconfig', process.env.KUBE_CONTEXT));
const federated = { namespace: 'spire', name: 'federated-server' };
const nestedC = { namespace: 'spire', name: 'nestedc-server' };
const runs = Number(process.argv[2] ?? 1);
const limitMs = 15 * 60_000;

for (let i = 1; i <= runs; i++) {
  const started = Date.now();
  const kid = await rotateJwtAuthority(kube, federated);
  const hint = (await federatedBundle(kube, nestedC, 'auxiliary.org')).spiffe_refresh_hint;
  for (;;) {
    if (jwtKids(await federatedBundle(kube, nestedC, 'auxiliary.org')).includes(kid)) break;
    if (Date.now() - started > limitMs) throw new Error(`kid ${kid} not at nestedC-server after ${limitMs / 60_000} min`);
    await new Promise((r) => setTimeout(r, 1000)); // ok: sampling the copy once a second is the measurement
  }
  console.log(`run ${i}: rotation at federated-server reached nestedC-server's copy in ${((Date.now() - started) / 1000).toFixed(1)} s (advertised refresh hint ${hint} s)`);
}
