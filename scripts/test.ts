/**
 * `npm test`: every stage runs whatever an earlier one did (a failing self-test must not hide the
 * suite, nor the suite a failing self-test); the exit status is non-zero if any stage failed.
 * Ends with a table of stages and one closing line of counts: "test: N passed, N failed, N skipped".
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../fixtures/versions.ts';
import { runDirectory } from '../reporter/run-folder.ts';
import { countNodeTest, countJunit, failuresJunit, type Counts } from './test-counts.ts';

interface Stage {
  name: string;
  command: string[];
  /** How its tests are counted, when it has any. */
  counts?: (output: string) => Counts | undefined;
  env?: Record<string, string>;
}

const cluster = process.env.CLUSTER || 'local';
// The suite's run folder, chosen here so the later stages read this run's JUnit and front page.
const suiteRun = runDirectory(repoRoot, { ...process.env, SPIRE_K8S_RUN_DIR: '' });
const junit = join(suiteRun, 'junit.xml');
// One test file at a time: the self-tests share one cluster, and some take things away from it.
const find = (dir: string, not = '') => ['bash', '-c', `exec npx tsx --test --test-concurrency=1 $(find ${dir} -name '*.test.ts' ${not} | sort)`];

const stages: Stage[] = [
  { name: 'typecheck', command: ['npx', 'tsc', '--noEmit'] },
  { name: 'lint', command: ['npx', 'eslint', '.'] },
  // The CI workflow, checked by actionlint (installed into .tools/bin by .ci/run, pinned in versions.env).
  { name: 'actionlint', command: ['bash', '-c', 'bin=.tools/bin/actionlint; [ -x "$bin" ] || bin=$(command -v actionlint) || { echo "actionlint is not installed: GOBIN=$PWD/.tools/bin go install github.com/rhysd/actionlint/cmd/actionlint@$(grep ^ACTIONLINT_VERSION= versions.env | cut -d= -f2)"; exit 1; }; exec "$bin"'] },
  { name: 'unit', command: find('fixtures scripts reporter'), counts: countNodeTest },
  // What of the SPIFFE MUSTs is left unchecked, and why; the count closes its output.
  { name: 'MUSTs', command: ['npx', 'tsx', 'scripts/must-coverage.ts', '--missing'] },
  { name: 'self-tests', command: find('tests', '-not -path "tests/report/*"'), counts: countNodeTest },
  {
    name: 'conformance',
    command: ['npx', 'playwright', 'test', ...process.argv.slice(2)],
    env: { SPIRE_K8S_RUN_DIR: suiteRun },
    counts: () => (existsSync(junit) ? countJunit(readFileSync(junit, 'utf8')) : undefined),
  },
  // Nothing of the run above left in the cluster (its teardown waited for every removal).
  { name: 'leftovers', command: ['npx', 'tsx', 'scripts/leftovers.ts'] },
  // The report of the run above, opened in Chromium as a reviewer would.
  { name: 'report', command: find('tests/report'), env: { SPIRE_K8S_SUITE_REPORT: suiteRun }, counts: countNodeTest },
];

function run(stage: Stage): Promise<{ status: number; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(stage.command[0]!, stage.command.slice(1), { cwd: repoRoot, env: { ...process.env, CLUSTER: cluster, ...stage.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); process.stdout.write(c); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); process.stderr.write(c); });
    child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), output, seconds: (Date.now() - started) / 1000 }));
  });
}

const rows: string[] = [];
const total: Counts = { passed: 0, failed: 0, skipped: 0 };
let failed = false;
for (const stage of stages) {
  console.log(`\n=== ${stage.name}: ${stage.command.join(' ')}`);
  const result = await run(stage);
  const counts = stage.counts?.(result.output);
  if (counts) for (const k of ['passed', 'failed', 'skipped'] as const) total[k] += counts[k];
  // A stage that exits non-zero with no failing test (a crash, a setup error) still counts as one.
  if (result.status !== 0 && (!counts || counts.failed === 0)) total.failed += 1;
  failed ||= result.status !== 0;
  const detail = counts ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : '';
  rows.push(`${stage.name.padEnd(12)} ${result.status === 0 ? 'ok  ' : 'FAIL'} ${result.seconds.toFixed(1).padStart(7)} s  ${detail}`);
}
// CI logs keep their head and tail: the suite's failures, each with its error, go to the tail.
const suiteFailures = existsSync(junit) ? failuresJunit(readFileSync(junit, 'utf8')) : [];
if (suiteFailures.length) console.log(`\n=== conformance failures (${suiteFailures.length})\n${suiteFailures.slice(0, 20).join('\n')}${suiteFailures.length > 20 ? `\n… and ${suiteFailures.length - 20} more (the report has them all)` : ''}`);
console.log(`\n=== summary\n${rows.join('\n')}`);
console.log(`test: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failed ? 1 : 0);
