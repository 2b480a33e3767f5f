// Proves what SPIRE's k8s_psat node attestation relies on: a projected service-account token with
// audience "spire-server" is accepted by a TokenReview for that audience, names the pod's service
// account, and is refused for any other audience.
import { test, expect } from '../../fixtures/index.ts';
import { busyboxPod, idle, runPod } from '../../fixtures/kube/busybox.ts';
import { exec } from '../../fixtures/kube/exec.ts';

test('a projected token with audience spire-server passes a TokenReview', async ({ cluster, scratch }) => {
  const { kube } = cluster;
  await kube.core.createNamespacedServiceAccount({ namespace: scratch, body: { metadata: { name: 'agent' } } });
  await test.step('run a pod with a projected token (audience spire-server)', () =>
    runPod(kube, scratch, busyboxPod('psat', idle, {
      restartPolicy: 'Always',
      serviceAccountName: 'agent',
      containers: [{ name: 'main', volumeMounts: [{ name: 'token', mountPath: '/var/run/secrets/tokens' }] }],
      volumes: [{ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'spire-agent', audience: 'spire-server', expirationSeconds: 7200 } }] } }],
    }), 'Ready'));
  const read = await exec(kube, { namespace: scratch, pod: 'psat', container: 'main' }, ['cat', '/var/run/secrets/tokens/spire-agent']);
  expect(read.exitCode, `reading the projected token: ${read.stderr}`).toBe(0);
  const token = read.stdout.trim();

  const review = await test.step('review it for audience spire-server', () =>
    kube.authn.createTokenReview({ body: { spec: { token, audiences: ['spire-server'] } } }));
  expect(review.status?.error ?? '', 'TokenReview error').toBe('');
  expect(review.status?.authenticated, 'TokenReview authenticated').toBe(true);
  expect(review.status?.user?.username).toBe(`system:serviceaccount:${scratch}:agent`);
  expect(review.status?.audiences).toContain('spire-server');
  expect(review.status?.user?.extra?.['authentication.kubernetes.io/pod-name'], 'pod bound into the token').toEqual(['psat']);

  const other = await test.step('review it for another audience', () =>
    kube.authn.createTokenReview({ body: { spec: { token, audiences: ['not-spire'] } } }));
  // The API server's own answer: not authenticated, and why.
  expect(other.status?.authenticated ?? false, 'a token for spire-server must not authenticate for audience not-spire').toBe(false);
  expect(other.status?.error ?? '', 'the TokenReview says why').toMatch(/audiences? .*(invalid|not-spire)|invalid bearer token/);
});
