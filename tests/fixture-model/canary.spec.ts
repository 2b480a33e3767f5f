// Run by fixture-model.test.ts, not by the suite: three tests share the canary module; the second
// fails on purpose, so Playwright replaces the worker and the third runs in a new one.
import { expect } from '@playwright/test';
import { test as cluster } from '../../fixtures/worker/cluster.fixture.ts';
import { ensureModule } from '../../fixtures/modules/module.ts';
import { canaryModule } from './canary.module.ts';

const test = cluster.extend<object, { canary: { namespace: string } }>({
  canary: [async ({ cluster: c }, use, workerInfo) => use(await ensureModule({ ...c, log: console.log }, canaryModule, workerInfo.workerIndex)), { scope: 'worker' }],
});

test('first test deploys the canary', ({ canary }) => {
  expect(canary.namespace).toBe('spire-conformance-canary');
});
test('second test fails on purpose', ({ canary }) => {
  expect(canary.namespace, 'this failure is intended: it makes Playwright restart the worker').toBe('a failure');
});
test('third test, in a new worker, reuses the canary', ({ canary }) => {
  expect(canary.namespace).toBe('spire-conformance-canary');
});
