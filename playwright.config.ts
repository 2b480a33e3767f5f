/**
 * The conformance suite. No browser: Playwright Test is the runner, its fixtures scope the cluster
 * and the SPIRE modules, and its reports carry the evidence.
 *
 *   npx playwright test                 whole suite on a disposable cluster
 *   npx playwright test specs/nested    one module (deploys only what it needs)
 *   CLUSTER=kubeconfig npx playwright test   an existing cluster (KUBECONFIG, KUBE_CONTEXT)
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './specs',
  outputDir: './reports/test-results',
  globalSetup: './fixtures/suite/global-setup.ts',
  // Deploys are shared by every test of a run; parallel workers would only compete for 2 cores.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Module deploys happen inside the first test that needs them: budget for a cold deploy.
  timeout: 5 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [
    ['list', { printSteps: true }],
    ['html', { outputFolder: 'reports/html', open: 'never' }],
    ['junit', { outputFile: 'reports/junit.xml' }],
  ],
  projects: [
    { name: 'cluster', testDir: './specs/cluster' },
    { name: 'nested', testDir: './specs/nested' },
    { name: 'oidc', testDir: './specs/oidc' },
    { name: 'federated', testDir: './specs/federated' },
  ],
});
