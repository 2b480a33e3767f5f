// A run made to fail, for the report's browser self-test: the suite's reporters and matchers on
// two tests, one of which fails the way a kid-uniformity check fails. No cluster needed.
import { join } from 'node:path';
import { defineConfig, type ReporterDescription } from '@playwright/test';
import { repoRoot } from '../../../fixtures/versions.ts';
import { reportsRoot, runDirectory } from '../../../reporter/run-folder.ts';

const runDir = runDirectory(repoRoot);
const cell = process.env.SPIRE_K8S_CELL;

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: join(runDir, 'test-results'),
  workers: 1,
  ...(cell ? { tag: `@cell-${cell}` } : {}),
  reporter: [
    ['html', { outputFolder: join(runDir, 'html'), open: 'never' }],
    ['../../../reporter/front-page.ts', { publishTo: reportsRoot(repoRoot) }],
    ...(cell ? [['blob', { outputDir: join(reportsRoot(repoRoot), 'blob'), fileName: `report-${cell}.zip` }] as ReporterDescription] : []),
  ],
});
