/**
 * Playwright reporter: the run's front page (index.html), summary.md and results.json, beside
 * Playwright's HTML report in the run's folder. Works on a live run and on `merge-reports` of CI
 * cells alike: everything it draws comes from the tests, their tags (`@cell-…`) and attachments.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stripVTControlCharacters as stripAnsi } from 'node:util';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult } from '@playwright/test/reporter';
import { redactTokens } from '../fixtures/report/redact.ts';
import { buildRunModel, factsOf, headline, type Outcome, type RequiredSpec, type TestRecord } from './run-model.ts';
import { renderFrontPage } from './render-page.ts';
import { renderResults, renderSummary } from './render-summary.ts';
import { listRequiredSpecs } from './required-specs.ts';
import { publishLatest } from './run-folder.ts';

export interface FrontPageOptions {
  /** Where index.html, summary.md and results.json go (default: this run's folder). */
  outputDir?: string;
  /** Playwright's HTML report, relative to outputDir. */
  htmlReport?: string;
  /** Point reports/latest at this run (default true when outputDir is the run's folder). */
  publishTo?: string;
}


function outcomeOf(test: TestCase, result: TestResult | undefined): Outcome {
  if (!result) return 'not run';
  switch (test.outcome()) {
    case 'expected':
    case 'flaky':
      return test.expectedStatus === 'skipped' ? 'skipped' : test.expectedStatus === 'failed' ? 'known deviation' : 'passed';
    case 'unexpected':
      return result.status === 'interrupted' ? 'not run' : 'failed';
    default:
      return notCheckedReason(test, result) === undefined ? 'skipped' : 'not checked';
  }
}

/** The reason a check gave for judging nothing (fixtures/checks/not-checked.ts), if it gave one. */
function notCheckedReason(test: TestCase, result: TestResult | undefined): string | undefined {
  return [...test.annotations, ...(result?.annotations ?? [])].find((a) => a.type === 'not checked')?.description;
}

function gitCommit(cwd: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head} + local changes` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export default class FrontPageReporter implements Reporter {
  private config!: FullConfig;
  private suite!: Suite;
  private errors: string[] = [];
  private required: Promise<RequiredSpec[] | Error> = Promise.resolve([]);

  constructor(private readonly options: FrontPageOptions = {}) {}

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.config = config;
    this.suite = suite;
    if (process.argv.includes('--list')) return;
    // Listed while the run goes on: a few seconds of Playwright loading the specs, in parallel.
    this.required = config.configFile
      ? listRequiredSpecs(config.configFile, config.rootDir).catch((e: Error) => e)
      : Promise.resolve(new Error('no config file to list the suite from'));
  }

  onError(error: TestError): void {
    this.errors.push(redactTokens(stripAnsi(error.message ?? error.value ?? 'an error without a message')));
  }

  private record(test: TestCase): TestRecord {
    const [, projectName = '', ...rest] = test.titlePath();
    const project = projectName || 'default';
    const file = relative(this.config.rootDir, test.location.file);
    const title = rest.slice(1).join(' › ');
    const result = test.results.at(-1);
    const outcome = outcomeOf(test, result);
    const reason = outcome === 'not checked' ? notCheckedReason(test, result) : undefined;
    const cellTag = test.tags.find((t) => t.startsWith('@cell-'));
    return {
      id: test.id,
      key: `${project} › ${file} › ${title}`,
      project, file, title,
      cell: cellTag ? cellTag.slice('@cell-'.length) : '',
      outcome,
      durationMs: result?.duration ?? 0,
      errors: (result?.errors ?? []).map((e) => redactTokens(stripAnsi(e.message ?? e.value ?? '')).split('\n').slice(0, 6).join('\n')),
      ...(reason !== undefined ? { notCheckedReason: reason } : {}),
      // A test's annotations are also its result's: each warning once.
      warnings: [...new Set([...test.annotations, ...(result?.annotations ?? [])].filter((a) => a.type === 'warning' && a.description).map((a) => a.description!))],
      attachments: (result?.attachments ?? []).map((a) => ({ name: a.name, contentType: a.contentType, ...(a.body ? { body: a.body.toString('utf8') } : {}) })),
    };
  }

  async onEnd(result: FullResult): Promise<void> {
    // `playwright test --list` runs reporters too: a listing is not a run.
    if (process.argv.includes('--list')) return;
    const outputDir = this.options.outputDir ?? process.env.SPIRE_K8S_RUN_DIR;
    if (!outputDir) throw new Error('front-page reporter: no outputDir and no SPIRE_K8S_RUN_DIR (set by playwright.config.ts)');
    const records = this.suite.allTests().map((t) => this.record(t));
    // A single run without a cell tag: the cell is the cluster it ran on.
    const manifest = factsOf(records, 'manifest')[0]?.body;
    const defaultCell = manifest ? `${manifest.cluster.kind} ${manifest.cluster.serverVersion}` : 'this run';
    for (const r of records) r.cell ||= defaultCell;
    // An audit is judged on the audit's checks; a suite run on the suite's specs, all of them.
    const auditRun = this.suite.suites.some((p) => p.title === 'audit');
    const listedAll = await this.required;
    const listed = listedAll instanceof Error ? listedAll : listedAll.filter((s) => (s.project === 'audit') === auditRun);
    const notes = listed instanceof Error ? [`The suite's full list could not be read (${listed.message.split('\n')[0]}): the matrix shows the selected tests only.`] : [];
    const setupErrors = [...this.errors];
    if (result.status === 'timedout') setupErrors.push('The run hit its global timeout.');
    const model = buildRunModel(records, listed instanceof Error ? [] : listed, setupErrors, notes);
    mkdirSync(outputDir, { recursive: true });
    const page = renderFrontPage(model, { htmlReport: this.options.htmlReport ?? 'html/index.html', commit: gitCommit(this.config.rootDir), generatedAt: new Date().toISOString() });
    writeFileSync(join(outputDir, 'index.html'), page);
    writeFileSync(join(outputDir, 'summary.md'), renderSummary(model));
    writeFileSync(join(outputDir, 'results.json'), `${JSON.stringify(renderResults(model), null, 2)}\n`);
    if (this.options.publishTo) publishLatest(this.options.publishTo, outputDir);
    const shown = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || '.');
    const where = this.options.publishTo ? join(shown(this.options.publishTo), 'latest', 'index.html') : join(shown(outputDir), 'index.html');
    console.log(`[spire-k8s-conformance] ${headline(model)}: front page ${where}`);
  }
}
