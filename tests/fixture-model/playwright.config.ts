// The fixture-model check's own run: same global setup as the suite, one spec.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: 'canary.spec.ts',
  globalSetup: '../../fixtures/suite/global-setup.ts',
  outputDir: '../../reports/fixture-model/test-results',
  workers: 1,
  reporter: [['line']],
});
