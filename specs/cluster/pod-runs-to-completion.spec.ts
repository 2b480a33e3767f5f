// Proves the cluster runs a workload end to end: scheduled, image present, container started by
// the runtime, exit status reported back, logs readable through the API server.
import { test, expect } from '../../fixtures/index.ts';
import { busyboxPod, runPod } from '../../fixtures/kube/busybox.ts';

test('a Pod runs to completion and its output is readable', async ({ cluster, scratch }) => {
  const pod = await test.step('run a pod that prints a marker and exits 0', () =>
    runPod(cluster.kube, scratch, busyboxPod('complete', 'echo conformance-marker-$((6*7))'), 'Succeeded'));
  expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 'exit code of pod "complete"').toBe(0);
  const log = await test.step('read its log', () => cluster.kube.core.readNamespacedPodLog({ name: 'complete', namespace: scratch }));
  expect(log.trim(), 'log of pod "complete"').toBe('conformance-marker-42');
});
