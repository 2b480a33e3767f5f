// merge-reports of CI cells' blob reports into one HTML report and one front page, as the
// workflow's report job does it (SPIRE_K8S_MERGED_DIR: where both go).
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

const out = process.env.SPIRE_K8S_MERGED_DIR ?? 'reports/merged';

export default defineConfig({
  testDir: './evidence-run',
  reporter: [
    ['html', { outputFolder: join(out, 'html'), open: 'never' }],
    ['../../reporter/front-page.ts', { outputDir: out }],
  ],
});
