// Proves the deployment refuses what it must refuse, each for the specific reason: a JWT-SVID for
// one audience presented for another; a token with a flipped signature byte; a workload with no
// registration entry; a certificate from a foreign CA naming a real SPIFFE ID, presented in mutual
// TLS to a workload holding SPIRE's bundle; a JWT signed by a foreign key naming a real SPIFFE ID.
import { errors, generateKeyPair, SignJWT } from 'jose';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { waitForPods } from '../../fixtures/kube/wait.ts';
import { agentClientPod } from '../../fixtures/spire/agent-client-pod.ts';
import { observeAgent } from '../../fixtures/topology/observe.ts';
import { spireAgentApi } from '../../fixtures/spire-api/cli.ts';
import { mutualTls } from '../../fixtures/spire/mtls.ts';
import { fetchJwtSvid, fetchX509Svid, serverBundle, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import { makeUpstreamCa } from '../../fixtures/spire/upstream-ca.ts';
import { jwtKids } from '../../fixtures/verify/bundle.ts';
import { verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';
import { x509 } from '../../fixtures/verify/x509.ts';

test.describe.configure({ lock: instanceLock });

test('a JWT-SVID for audience X is rejected for audience Y', async ({ cluster, nested }) => {
  const svid = await fetchJwtSvid(cluster.kube, nested.workloads.a, 'audience-x');
  const verdict = await validateJwtAtAgent(cluster.kube, nested.workloads.b, 'audience-y', svid.token);
  expect(verdict.exitCode, 'spire-agent api validate jwt must fail for the wrong audience').not.toBe(0);
  // SPIRE's reason, not the word "audience" of the flag's own name.
  expect(verdict.stderr + verdict.stdout).toMatch(/expected audience in \["audience-y"\] \(audience=\["audience-x"\]\)/);
  const bundle = await serverBundle(cluster.kube, nested.servers.nestedB);
  const error = await verifyJwtSvid(svid.token, bundle, 'audience-y').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(errors.JWTClaimValidationFailed);
  expect((error as errors.JWTClaimValidationFailed).claim).toBe('aud');
});

test('a JWT-SVID with one flipped signature byte is rejected', async ({ cluster, nested }) => {
  const svid = await fetchJwtSvid(cluster.kube, nested.workloads.a, 'spire-conformance-tamper');
  const [h, p, s] = svid.token.split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  sig[Math.floor(sig.length / 2)]! ^= 0x01;
  const forged = `${h}.${p}.${sig.toString('base64url')}`;
  const verdict = await validateJwtAtAgent(cluster.kube, nested.workloads.b, 'spire-conformance-tamper', forged);
  expect(verdict.exitCode, 'spire-agent api validate jwt must fail for a forged signature').not.toBe(0);
  // go-jose's refusal of a signature that does not verify (ErrCryptoFailure).
  expect(verdict.stderr + verdict.stdout).toMatch(/SVID is not valid: .*error in cryptographic primitive/);
  const bundle = await serverBundle(cluster.kube, nested.servers.nestedB);
  await expect(verifyJwtSvid(forged, bundle, 'spire-conformance-tamper')).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
});

test('a workload without a registration entry receives no SVID', async ({ cluster, nested, scratch }) => {
  const pod = agentClientPod('unregistered', await observeAgent(cluster.kube, nested.namespace, 'nesteda-agent'));
  await cluster.kube.core.createNamespacedPod({ namespace: scratch, body: pod });
  await waitForPods(cluster.kube, { namespace: scratch, name: 'unregistered' }, 'Ready', 60_000);
  const result = await spireAgentApi(cluster.kube, { namespace: scratch, pod: 'unregistered', container: 'main' }, ['fetch', 'x509', '-timeout', '5s']);
  expect(result.exitCode, `an unregistered workload got an SVID:\n${result.stdout}`).not.toBe(0);
  expect(result.stderr + result.stdout).toMatch(/PermissionDenied|no identity issued/);
});

/** A leaf for `spiffeId` signed by a CA of the suite's own making (not SPIRE's), and that CA. */
async function forgedSvid(spiffeId: string) {
  const foreign = await makeUpstreamCa('upstream-authority.example.org', 1);
  const caCert = new x509.X509Certificate(foreign.certPem);
  const caKey = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(foreign.keyPem), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const leafKeys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '0a', subject: 'CN=impostor', issuer: caCert.subject, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, publicKey: leafKeys.publicKey, signingKey: caKey,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  return { chain: [leaf, caCert], key: Buffer.from(await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey)) };
}

test('a workload\'s mutual TLS peer refuses a certificate from a foreign CA naming a registered SPIFFE ID', async ({ cluster, nested }) => {
  const forged = await forgedSvid(nested.workloads.a.spiffeId);
  const b = await fetchX509Svid(cluster.kube, nested.workloads.b);
  expect(b.bundle.length, 'workload-b received trust anchors from SPIRE').toBeGreaterThan(0);
  // workload-b serves with the SVID and bundle SPIRE gave it, and expects workload-a: the impostor
  // presents a foreign chain (its CA even has the real UpstreamAuthority CA's subject).
  const result = await mutualTls(
    { chain: b.chain, key: b.keyPkcs8Der, trust: b.bundle, expectPeer: nested.workloads.a.spiffeId },
    { chain: forged.chain, key: forged.key, trust: b.bundle, expectPeer: nested.workloads.b.spiffeId },
  ).catch((e: unknown) => e as Error);
  expect(result, 'workload-b accepted a chain from a foreign CA').toBeInstanceOf(Error);
  expect((result as Error).message).toMatch(/server side: server refused the client's certificate chain: (CERT_SIGNATURE_FAILURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
});

test('the agent refuses a JWT signed by a foreign key naming a registered SPIFFE ID, with an unknown kid and with a real one', async ({ cluster, nested }) => {
  const audience = 'spire-conformance-foreign';
  const bundle = await serverBundle(cluster.kube, nested.servers.nestedB);
  const realKid = jwtKids(bundle)[0]!;
  const { privateKey } = await generateKeyPair('ES256');
  for (const kid of ['foreign-key', realKid]) {
    const token = await new SignJWT({ sub: nested.workloads.a.spiffeId, aud: audience })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const verdict = await validateJwtAtAgent(cluster.kube, nested.workloads.b, audience, token);
    expect(verdict.exitCode, `nestedB-agent accepted a token signed by a foreign key (kid ${kid})`).not.toBe(0);
    expect(verdict.stderr + verdict.stdout).toMatch(kid === realKid ? /error in cryptographic primitive/ : /not found|foreign-key/);
    await expect(verifyJwtSvid(token, bundle, audience)).rejects.toBeInstanceOf(kid === realKid ? errors.JWSSignatureVerificationFailed : errors.JWKSNoMatchingKey);
  }
});
