// Proves the OIDC federation works as cloud and Vault relying parties run it, from inside the
// cluster: a pod reads the discovery document through the provider's Service, then the JWKS at
// the jwks_uri it names; one relying-party configuration (that issuer, one audience, those keys)
// accepts JWT-SVIDs issued through every server of the trust domain that has workloads (nestedA,
// nestedB, and nestedC of the federated module), each carrying the discovery document's issuer as `iss`, and refuses them for another
// issuer or audience.
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { busyboxPod, idle, runPod } from '../../fixtures/kube/busybox.ts';
import { exec } from '../../fixtures/kube/exec.ts';
import { fetchJwtSvid } from '../../fixtures/spire-api/svids.ts';
import { allowedAlgs } from '../../fixtures/verify/jwt-svid.ts';

test.describe.configure({ lock: instanceLock });

test('one relying-party configuration, read in-cluster from the discovery document, accepts tokens from every server of the trust domain', async ({ cluster, nested, oidc, federated, scratch }, testInfo) => {
  const { kube } = cluster;
  const pod = 'relying-party';
  await runPod(kube, scratch, busyboxPod(pod, idle), 'Ready');
  const get = async (url: string) => {
    const r = await exec(kube, { namespace: scratch, pod, container: 'main' }, ['timeout', '5', 'wget', '-qO-', url]);
    expect(r.exitCode, `GET ${url} from a pod: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const base = `http://${oidc.service}.${oidc.namespace}.svc`;
  const discovery = await test.step(`GET ${base}/.well-known/openid-configuration from a pod`, () => get(`${base}/.well-known/openid-configuration`));
  const issuer = String(discovery.issuer);
  expect(discovery.jwks_uri, 'the discovery document names its keys').toEqual(expect.any(String));
  const jwks = await test.step(`GET the jwks_uri it names (${String(discovery.jwks_uri)}) from the pod`, () => get(String(discovery.jwks_uri))) as unknown as JSONWebKeySet;
  await testInfo.attach('relying party configuration.json', { body: JSON.stringify({ issuer, jwks }, null, 2), contentType: 'application/json' });

  // One audience for the whole configuration, new each run: agents cache JWT-SVIDs per audience, and
  // the tokens judged must be minted under the servers' configuration as it is now.
  const audience = `sts.spire-conformance.test/${Date.now()}`;
  const keys = createLocalJWKSet(jwks);
  const workloads = { ...nested.workloads, c: federated.workloads.c };
  for (const [name, workload] of Object.entries(workloads)) {
    await test.step(`a JWT-SVID from workload-${name} (through ${workload.server.name}) is accepted with iss ${issuer}`, async () => {
      const svid = await fetchJwtSvid(kube, workload, audience);
      const verified = await jwtVerify(svid.token, keys, { issuer, audience, algorithms: allowedAlgs }).catch((e: Error) => e);
      expect(verified instanceof Error ? `${verified.name}: ${verified.message}` : verified.payload.sub,
        `the relying party (issuer ${issuer}, audience ${audience}, keys from ${String(discovery.jwks_uri)}) judged workload-${name}'s token (iss ${JSON.stringify(decodeJwt(svid.token).iss)})`).toBe(workload.spiffeId);
      await expect(jwtVerify(svid.token, keys, { issuer: 'http://another-issuer.example', audience }), 'another issuer refuses it').rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
      await expect(jwtVerify(svid.token, keys, { issuer, audience: 'another-audience' }), 'another audience refuses it').rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    });
  }
});
