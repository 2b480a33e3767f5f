// merge-reports for the CI matrix: the cells' blob reports (SPIRE_K8S_CELL) into one HTML report,
// one JUnit file and one front page with a column per cell, in SPIRE_K8S_MERGED_DIR.
//   npx playwright merge-reports --config reporter/merge.config.ts <folder of blobs>
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { suiteProjects } from '../playwright.config.ts';

const out = process.env.SPIRE_K8S_MERGED_DIR ?? 'reports/merged';

export default defineConfig({
  // The suite's own testDir: test files and the full list of specs resolve against it.
  testDir: '../specs',
  projects: suiteProjects,
  reporter: [
    ['html', { outputFolder: join(out, 'html'), open: 'never' }],
    ['junit', { outputFile: join(out, 'junit.xml') }],
    ['./front-page.ts', { outputDir: out }],
  ],
});
