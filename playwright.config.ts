/**
 * The conformance suite. No browser: Playwright Test is the runner, its fixtures scope the cluster
 * and the SPIRE modules, and its reports carry the evidence.
 *
 *   npx playwright test                 whole suite on a disposable cluster
 *   npx playwright test specs/nested    one module (deploys only what it needs)
 *   CLUSTER=kubeconfig npx playwright test   an existing cluster (KUBECONFIG, KUBE_CONTEXT)
 */
import { join } from 'node:path';
import { defineConfig, type ReporterDescription } from '@playwright/test';
import { repoRoot } from './fixtures/versions.ts';
import { reportsRoot, runDirectory } from './reporter/run-folder.ts';

/** Each run reports into reports/runs/<stamp>; reports/latest and reports/index.html open the newest. */
const runDir = runDirectory(repoRoot);
/** A CI matrix cell's name (e.g. kind-v1.33): tags its tests so merged reports tell cells apart. */
const cell = process.env.SPIRE_K8S_CELL;
// The command as typed, with the options that shape it: the front page's "reproduce with".
process.env.SPIRE_K8S_COMMAND ??= [
  ...['CLUSTER', 'KUBE_CONTEXT', 'SPIRE_NAMESPACE', 'KEEP', 'REUSE', 'UPSTREAM_CA_HOURS', 'AUDIT_FILE', 'AUDIT_TOUCH_WORKLOADS', 'SPIRE_K8S_CELL'].flatMap((n) => (process.env[n] ? [`${n}=${process.env[n]}`] : [])),
  'npx playwright', ...process.argv.slice(2),
].join(' ');

/**
 * One project per module, in dependency order; merge-reports' config (reporter/) shares them. The
 * lifecycle specs rotate, taint and revoke keys, and the resilience specs break and heal the
 * deployments: they run last, after every read of them.
 */
export const suiteProjects = ['cluster', 'nested', 'oidc', 'federated', 'production', 'lifecycle', 'resilience'].map((name) => ({ name, testDir: join(repoRoot, 'specs', name) }));

// The read-only audit of a deployment the suite did not create exists only when asked for
// (`--project audit`): a plain run never audits, an audit never deploys. Workers see the env.
const argv = process.argv;
if (argv.some((a, i) => a === '--project=audit' || (a === '--project' && argv[i + 1] === 'audit'))) process.env.SPIRE_K8S_AUDIT = '1';
const auditProject = process.env.SPIRE_K8S_AUDIT === '1' ? [{ name: 'audit', testDir: join(repoRoot, 'specs', 'audit') }] : [];

const reporters: ReporterDescription[] = [
  // Tells the workers which projects run (fixtures/worker/prewarm.fixture.ts deploys ahead for them).
  ['./fixtures/suite/run-plan.ts'],
  // `topology audit` prints its own summary of the checks: dots while they run.
  process.env.SPIRE_K8S_PROGRESS === 'dot' ? ['dot'] : ['list', { printSteps: true }],
  ['html', { outputFolder: join(runDir, 'html'), open: 'never', title: 'SPIRE conformance (front page: ../index.html)' }],
  ['junit', { outputFile: join(runDir, 'junit.xml') }],
  ['./reporter/front-page.ts', { publishTo: reportsRoot(repoRoot) }],
  // CI cells hand their results to the report job, which merges them (merge-reports).
  ...(cell ? [['blob', { outputDir: join(reportsRoot(repoRoot), 'blob'), fileName: `report-${cell}.zip` }] as ReporterDescription] : []),
];

export default defineConfig({
  testDir: './specs',
  outputDir: join(runDir, 'test-results'),
  globalSetup: './fixtures/suite/global-setup.ts',
  // Two lanes: the shared instance's specs one after the other in one worker, the fault instance's
  // in the other (their locks, fixtures/index.ts); the cluster's specs, which need neither, fill in.
  workers: 2,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Module deploys happen inside the first test that needs them: budget for a cold deploy.
  timeout: 5 * 60_000,
  expect: { timeout: 30_000 },
  reporter: reporters,
  ...(cell ? { tag: `@cell-${cell}` } : {}),
  // Playwright's HTML report links back to the front page from its Metadata header.
  captureGitInfo: { commit: false, diff: false },
  metadata: { ci: { prTitle: 'Front page of this run: verdict, conformance matrix, topology, timelines', prHref: '../index.html', commitHash: '' } },
  projects: [...suiteProjects, ...auditProject],
});
