// Proves cluster networking as SPIRE uses it: a Service name resolves through cluster DNS to the
// Service's ClusterIP, and that ClusterIP carries traffic to the pod behind it (kube-proxy, CNI).
import { randomUUID } from 'node:crypto';
import { test, expect } from '../../fixtures/index.ts';
import { busyboxPod, idle, runPod } from '../../fixtures/kube/busybox.ts';
import { exec } from '../../fixtures/kube/exec.ts';

test('a Service name resolves through cluster DNS and its ClusterIP answers', async ({ cluster, scratch }) => {
  const token = randomUUID();
  const { kube } = cluster;
  await test.step('start an HTTP server pod serving a token', () =>
    runPod(kube, scratch, busyboxPod('web', `mkdir /www && echo ${token} > /www/token && exec httpd -f -p 8080 -h /www`, {
      restartPolicy: 'Always',
      containers: [{ name: 'main', readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
    }), 'Ready'));
  const service = await test.step('expose it as Service "web"', () =>
    kube.core.createNamespacedService({ namespace: scratch, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } }));
  await test.step('start a client pod', () =>
    runPod(kube, scratch, busyboxPod('client', idle, { restartPolicy: 'Always' }), 'Ready'));
  const client = { namespace: scratch, pod: 'client', container: 'main' };
  const fqdn = `web.${scratch}.svc.cluster.local`;

  await test.step(`resolve ${fqdn} from the client`, async () => {
    const lookup = await exec(kube, client, ['nslookup', fqdn]);
    expect(lookup.exitCode, `nslookup ${fqdn} failed:\n${lookup.stdout}${lookup.stderr}`).toBe(0);
    const answered = [...lookup.stdout.matchAll(/Address:\s*([0-9.]+)(?!:53)\s*$/gm)].map((m) => m[1]);
    expect(answered, `addresses DNS gave for ${fqdn}`).toContain(service.spec?.clusterIP);
  });
  await test.step('fetch the token through the Service name', async () => {
    // The endpoint may lag the pod's readiness by a moment: retry until it answers or time runs out.
    await expect.poll(async () => (await exec(kube, client, ['timeout', '3', 'wget', '-qO-', `http://${fqdn}/token`])).stdout.trim(), {
      message: `GET http://${fqdn}/token through ClusterIP ${service.spec?.clusterIP}`,
      timeout: 20_000,
    }).toBe(token);
  });
});
