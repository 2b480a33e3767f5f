/**
 * Measures automatic federation refresh in both directions, beside the bound SPIRE's rules give for
 * the deployed configuration (fixtures/verify/federation.ts): a JWT key is prepared at each bundle
 * endpoint's server, and the time until it is in the holder's copy is sampled every 250 ms. No
 * manual refresh anywhere. Each run also activates the key (as an ordinary rotation would).
 *
 * Needs the federated module deployed and kept:
 *   KEEP=1 npx playwright test specs/federated && npx tsx scripts/bench-federation-refresh.ts [runs]
 * Uses the local cluster's kubeconfig unless KUBECONFIG is set.
 */
import { clients, loadKubeConfig } from '../fixtures/kube/client.ts';
import { observeFederation, waitUntilFresh } from '../fixtures/spire/federation-state.ts';
import { activateJwtAuthority, prepareJwtAuthority } from '../fixtures/spire/rotation.ts';
import { federatedBundle } from '../fixtures/spire-api/svids.ts';
import { discoverServers } from '../fixtures/audit/resolve.ts';
import { jwtKids } from '../fixtures/verify/bundle.ts';
import { readOptions } from '../fixtures/suite/options.ts';

const kube = clients(loadKubeConfig(process.env.KUBECONFIG ?? '/var/lib/spire-k8s-local/admin.kubeconfig', process.env.KUBE_CONTEXT));
const servers = await discoverServers(kube, readOptions().namespace);
const runs = Number(process.argv[2] ?? 3);
const o = await observeFederation(kube, servers);
if (o.verdicts.length === 0) throw new Error(`no federation relationship among ${servers.map((s) => s.name).join(', ')}`);

const samples = new Map<string, number[]>();
for (let i = 1; i <= runs; i++) {
  await waitUntilFresh(kube, servers);
  await Promise.all(o.verdicts.map(async (v) => {
    const holder = servers.find((s) => s.name === v.holder)!;
    const peer = servers.find((s) => s.name === v.peer)!;
    const kid = await prepareJwtAuthority(kube, peer);
    const started = Date.now();
    const limit = (v.timing.copyLagSeconds + 60) * 1000;
    while (!jwtKids(await federatedBundle(kube, holder, v.peerTrustDomain)).includes(kid)) {
      if (Date.now() - started > limit) throw new Error(`${v.relationship}: ${kid} not in the copy after ${limit / 1000} s`);
      await new Promise((r) => setTimeout(r, 250)); // ok: sampling the copy is the measurement
    }
    const lag = (Date.now() - started) / 1000;
    samples.set(v.relationship, [...(samples.get(v.relationship) ?? []), lag]);
    console.log(`run ${i}: ${v.peer} → ${v.relationship}: ${lag.toFixed(1)} s (bound ${v.timing.copyLagSeconds} s)`);
    await activateJwtAuthority(kube, peer, kid);
  }));
}
console.log('\nrelationship                          runs   min    median max    bound (poll every hint/4 + 1 s cache)');
for (const v of o.verdicts) {
  const s = [...(samples.get(v.relationship) ?? [])].sort((a, b) => a - b);
  const f = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(1)} s`).padEnd(7);
  console.log(`${v.relationship.padEnd(38)}${String(s.length).padEnd(7)}${f(s[0])}${f(s[Math.floor(s.length / 2)])}${f(s.at(-1))}${v.timing.copyLagSeconds} s`);
}
