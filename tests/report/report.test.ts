// The report as a reviewer meets it, in a real browser (Debian's Chromium, driven by Playwright):
// a run made to fail leads from the front page to the failing check's evidence table in two
// clicks; CI cells merge into one matrix; a run stopped in setup says why, verdict NOT RUN, and
// keeps the previous report; the suite's own last report shows its verdict, every spec, every
// server in the topology, and links that land on the test. Screenshots go to reports/selftest.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from '@playwright/test';
import { repoRoot } from '../../fixtures/versions.ts';
import { requiredFromJson } from '../../reporter/required-specs.ts';

/** Debian's chromium package (installed by .ci/install-deps.sh): no browser download. */
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(repoRoot, 'reports', 'selftest');
const scratch = mkdtempSync(join(tmpdir(), 'spire-k8s-report-'));

function playwright(args: string[], env: Record<string, string>): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(repoRoot, 'node_modules', '@playwright', 'test', 'cli.js'), ...args], {
    cwd: repoRoot, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, SPIRE_K8S_RUN_DIR: '', CI: '', ...env },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
  verdict: string; specs: { project: string; file: string; title: string; cells: Record<string, { outcome: string }> }[];
  topology: { servers: { id: string; name: string }[] }; cells: string[];
};

let browser: Browser;
let page: Page;

before(async () => {
  mkdirSync(shots, { recursive: true });
  assert.ok(existsSync(executablePath), `no Chromium at ${executablePath}: install Debian's chromium package (bash .ci/install-deps.sh)`);
  browser = await chromium.launch({
    executablePath,
    // As root in a container, without Chromium's own sandbox; no calls home on a closed network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});

after(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the report in a browser', () => {
  const root = join(scratch, 'reports');
  let failedRun = '';

  it('a failed promise: front page → test → its evidence table, in two clicks', async () => {
    const run = playwright(['test', '-c', 'tests/report/evidence-run/playwright.config.ts'], { SPIRE_K8S_REPORTS: root });
    assert.equal(run.status, 1, `the evidence run must fail on its one failing test:\n${run.output}`);
    failedRun = join(root, readlinkSync(join(root, 'latest')));
    assert.equal(results(failedRun).verdict, 'NOT CONFORMANT');

    await page.goto(pathToFileURL(join(root, 'index.html')).href);
    await page.getByTestId('verdict').waitFor();
    assert.equal(await page.getByTestId('verdict').textContent(), 'NOT CONFORMANT');
    assert.equal(await page.locator('table.matrix tr[data-spec]').count(), 2, 'both tests are rows of the matrix');
    await page.screenshot({ path: join(shots, 'failed-run-front-page.png'), fullPage: true });

    // Click 1: the failed promise, listed first on the page.
    await page.locator('#failures a').first().click();
    await page.getByText('a server missing a key fails with a kid × server table').first().waitFor();
    // Click 2: the evidence attachment, whose table then shows inline.
    await page.getByText('evidence: JWT signing kids × server').click();
    const table = page.locator('.attachment-body').filter({ hasText: 'kid-2' });
    await table.waitFor();
    const text = await table.textContent();
    assert.match(text ?? '', /kid-2\s+yes\s+yes\s+---/, `the table shows nestedB lacking kid-2: ${text}`);
    await page.screenshot({ path: join(shots, 'failed-run-evidence.png'), fullPage: true });
  });

  it('CI cells merge into one front page with a column per cell', async () => {
    for (const cell of ['kind-a', 'k3s-b']) {
      // Each CI cell writes its own blob; here both land in one folder, so the second must not clear it.
      const run = playwright(['test', '-c', 'tests/report/evidence-run/playwright.config.ts'], { SPIRE_K8S_REPORTS: root, SPIRE_K8S_CELL: cell, PWTEST_BLOB_DO_NOT_REMOVE: '1' });
      assert.equal(run.status, 1, run.output);
    }
    const merged = join(scratch, 'merged');
    const merge = playwright(['merge-reports', '-c', 'tests/report/merge.config.ts', join(root, 'blob')], { SPIRE_K8S_MERGED_DIR: merged });
    assert.equal(merge.status, 0, merge.output);
    const r = results(merged);
    assert.deepEqual(r.cells, ['k3s-b', 'kind-a']);
    await page.goto(pathToFileURL(join(merged, 'index.html')).href);
    const headers = await page.locator('table.matrix th').allTextContents();
    assert.deepEqual(headers.slice(2), ['k3s-b', 'kind-a'], `one column per cell: ${headers.join(' | ')}`);
    const failedCells = page.locator('table.matrix td.failed a');
    assert.equal(await failedCells.count(), 2, 'the failing test fails in both cells');
    await failedCells.nth(1).click();
    await page.getByText('a server missing a key fails with a kid × server table').first().waitFor();
    assert.match(page.url(), /html\/index\.html#\?testId=/);
  });

  it('a run stopped in setup: NOT RUN with the cause and the fix, and the previous report kept', async () => {
    const run = playwright(['test', 'specs/cluster'], { SPIRE_K8S_REPORTS: root, CLUSTER: 'kubeconfig', KUBECONFIG: join(scratch, 'missing-kubeconfig') });
    assert.equal(run.status, 1, run.output);
    const latest = join(root, readlinkSync(join(root, 'latest')));
    assert.notEqual(latest, failedRun, 'latest points at the new run');
    assert.ok(existsSync(join(failedRun, 'index.html')), 'the previous run\'s report is kept');
    await page.goto(pathToFileURL(join(root, 'index.html')).href);
    await page.getByTestId('verdict').waitFor();
    assert.equal(await page.getByTestId('verdict').textContent(), 'NOT RUN');
    const error = await page.locator('#setup-error').textContent();
    assert.match(error ?? '', /missing-kubeconfig does not exist: set KUBECONFIG to a readable kubeconfig/);
    await page.screenshot({ path: join(shots, 'setup-failure-front-page.png'), fullPage: true });
  });
});

describe('the suite\'s own last report', () => {
  const runDir = process.env.SPIRE_K8S_SUITE_REPORT ?? join(repoRoot, 'reports', 'latest');

  it('shows its verdict, every spec, every server, and links into the HTML report', async () => {
    assert.ok(existsSync(join(runDir, 'results.json')), `no suite report at ${runDir}: run \`npx playwright test\` first (npm test runs this check after the suite)`);
    const r = results(runDir);
    await page.goto(pathToFileURL(join(runDir, 'index.html')).href);
    await page.getByTestId('verdict').waitFor();
    assert.equal(await page.getByTestId('verdict').textContent(), r.verdict);
    const allPassed = r.specs.every((s) => Object.values(s.cells).every((c) => c.outcome === 'passed' || c.outcome === 'known deviation'));
    assert.equal(r.verdict === 'CONFORMANT', allPassed, 'CONFORMANT exactly when every required spec passed in every cell (a known deviation of SPIRE listed apart)');
    for (const s of r.specs.filter((x) => Object.values(x.cells).some((c) => c.outcome === 'known deviation'))) {
      assert.ok(await page.locator('#deviations').getByText(s.title).count(), `the known deviation "${s.title}" is listed in the front page's Known deviations`);
    }

    // Every spec Playwright lists for the suite is a row, whatever the run selected.
    const list = playwright(['test', '--list', '--reporter=json'], {});
    assert.equal(list.status, 0, list.output);
    const listed = requiredFromJson(JSON.parse(list.output.slice(list.output.indexOf('{'))) as Parameters<typeof requiredFromJson>[0]);
    const rows = await page.locator('table.matrix tr[data-spec]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-spec')));
    assert.deepEqual(listed.map((s) => s.key).filter((k) => !rows.includes(k)), [], 'specs missing from the matrix');

    // The topology SVG draws every server the run observed; a full run observes all five.
    const drawn = await page.locator('svg.topology g.server').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-id')));
    assert.deepEqual([...drawn].sort(), r.topology.servers.map((s) => s.id).sort());
    if (Object.keys(r.specs).length && r.specs.every((s) => Object.values(s.cells).some((c) => c.outcome !== 'not run'))) {
      assert.deepEqual(r.topology.servers.map((s) => s.name).sort(), ['federated-server', 'nesteda-server', 'nestedb-server', 'nestedc-server', 'root-server']);
    }
    await page.screenshot({ path: join(shots, 'front-page.png'), fullPage: false });
    if (process.env.UPDATE_README_SCREENSHOT) copyFileSync(join(shots, 'front-page.png'), join(repoRoot, 'docs', 'report-front-page.png'));

    // A matrix link lands on that test in Playwright's report, which links back to the front page.
    const first = page.locator('table.matrix td a').first();
    const title = (await page.locator('table.matrix tr[data-spec]').first().locator('td').nth(1).textContent())!.split(' › ').at(-1)!;
    await first.click();
    await page.getByText(title).first().waitFor();
    await page.goto(page.url().replace(/#.*$/, ''));
    await page.getByRole('button', { name: 'Metadata' }).click();
    // Playwright's report opens metadata links in a new tab.
    const [front] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('link', { name: /Front page of this run/ }).click()]);
    await front.getByTestId('verdict').waitFor();
    assert.equal(await front.getByTestId('verdict').textContent(), r.verdict);
    await front.close();
  });
});
