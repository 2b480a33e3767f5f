/**
 * Which externally checkable SPIFFE MUSTs the suite checks, and where: MUST id → the checks tagged
 * with it (fixtures/verify, `enforces([...], fn)`) → the specs that apply those checks (call them, or
 * call a fixture that does). Generated from the tags and the code, never kept by hand.
 *
 *   npx tsx scripts/must-coverage.ts            the table and the count
 *   npx tsx scripts/must-coverage.ts --missing  only what is not covered yet
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../fixtures/versions.ts';
import { cannotFailBecause, externallyCheckable, notCheckedBecause, type MustId } from '../fixtures/verify/musts.ts';
import { mustCoverage, type Check } from './must-coverage-model.ts';

const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
const sources = (dir: string) => walk(join(repoRoot, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

const checks: Check[] = [];
for (const file of sources('fixtures/verify')) {
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  for (const [name, value] of Object.entries(mod)) {
    const musts = (value as { musts?: readonly MustId[] } | undefined)?.musts;
    if (typeof value === 'function' && Array.isArray(musts)) checks.push({ name, file: relative(repoRoot, file), musts });
  }
}
const code = Object.fromEntries([...sources('specs'), ...sources('fixtures')].map((f) => [relative(repoRoot, f), readFileSync(f, 'utf8')]));
const coverage = mustCoverage(externallyCheckable, checks, code, (f) => basename(f, '.ts'));

const onlyMissing = process.argv.includes('--missing');
const cannotFail = (id: string) => cannotFailBecause[id as MustId];
for (const row of coverage.rows) {
  if (onlyMissing && row.specs.length && !cannotFail(row.id)) continue;
  const checksText = row.checks.join(', ') || '(no check yet)';
  const why = notCheckedBecause[row.id as MustId];
  const specs = cannotFail(row.id) && row.specs.length ? `not counted, cannot fail here: ${cannotFail(row.id)}` : row.specs.join(', ');
  console.log(`${row.id.padEnd(5)} ${row.text.slice(0, 52).padEnd(53)} ${checksText.padEnd(40)} ${specs || (row.checks.length ? '(no spec applies it)' : why ? `left: ${why}` : '')}`);
}
// The honest count: a MUST is checked when a spec applies a check that an artifact here can fail.
const honest = coverage.rows.filter((r) => r.specs.length && !cannotFail(r.id)).length;
console.log(`\n${honest}/${coverage.total} externally checkable SPIFFE MUSTs are checked by at least one spec that can fail them here (${coverage.covered - honest} more are tagged on checks nothing here can fail; ${coverage.checkedNowhere} have a check no spec applies yet).`);
