/**
 * `npm run mutate [id…]`: each mutation of mutations/mutations.ts applied to a clean worktree of
 * HEAD, the folder that should catch it run there (in an instance of its own, SPIRE_NAMESPACE
 * mut-<n>, on the running cluster), and one line each: killed (with the first failure), survived,
 * or invalid (the mutation did not apply, or its deploy failed before any spec judged it). On demand,
 * not in `npm test`: each deploys the modules its folder needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mutations, type Mutation } from '../mutations/mutations.ts';
import { repoRoot } from '../fixtures/versions.ts';

interface Outcome { id: string; verdict: 'killed' | 'survived' | 'invalid'; seconds: number; detail: string }

const wanted = process.argv.slice(2);
const unknown = wanted.filter((id) => !mutations.some((m) => m.id === id));
if (unknown.length) {
  console.error(`unknown mutation(s): ${unknown.join(', ')}; known: ${mutations.map((m) => m.id).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? mutations.filter((m) => wanted.includes(m.id)) : mutations;

function git(args: string[], cwd = repoRoot): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The first failed spec of a run and its error's first line, from the run's results.json. */
function firstFailure(dir: string): { failed: number; line: string; setup?: string } | undefined {
  const file = join(dir, 'reports', 'latest', 'results.json');
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8')) as { setupErrors?: string[]; specs: { file: string; title: string; cells: Record<string, { outcome: string; error?: string }> }[] };
  const failed = r.specs.flatMap((s) => Object.values(s.cells).filter((c) => c.outcome === 'failed').map((c) => `${s.file} › ${s.title}: ${(c.error ?? '').split('\n').slice(0, 3).join(' ').slice(0, 300)}`));
  return { failed: failed.length, line: failed[0] ?? '', ...(r.setupErrors?.length ? { setup: r.setupErrors[0]!.split('\n')[0]! } : {}) };
}

function runOne(m: Mutation, index: number): Outcome {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `spire-k8s-mutate-${m.id}-`));
  rmSync(dir, { recursive: true });
  git(['worktree', 'add', '--detach', dir, 'HEAD']);
  try {
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    const path = join(dir, m.file);
    const text = readFileSync(path, 'utf8');
    const count = text.split(m.find).length - 1;
    if (count !== 1) return { id: m.id, verdict: 'invalid', seconds: 0, detail: `${m.file}: the text to mutate occurs ${count} times (expected once)` };
    writeFileSync(path, text.replace(m.find, m.replace));
    console.log(`[mutate] ${m.id}: ${m.what} → npx playwright test ${m.caughtBy}`);
    const run = spawnSync('npx', ['playwright', 'test', m.caughtBy], {
      cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, SPIRE_NAMESPACE: `mut-${index}`, SPIRE_K8S_PROGRESS: 'dot', CI: '' },
    });
    const seconds = (Date.now() - started) / 1000;
    const result = firstFailure(dir);
    if (result?.setup) return { id: m.id, verdict: 'invalid', seconds, detail: `the deploy failed before any spec judged it: ${result.setup}` };
    if (run.status !== 0 && result?.failed) return { id: m.id, verdict: 'killed', seconds, detail: result.line };
    if (run.status === 0) return { id: m.id, verdict: 'survived', seconds, detail: `every spec of ${m.caughtBy} passed` };
    return { id: m.id, verdict: 'invalid', seconds, detail: `exit ${run.status} without a failed spec: ${(run.stderr || run.stdout).split('\n').filter(Boolean).slice(-3).join(' ')}` };
  } finally {
    git(['worktree', 'remove', '--force', dir]);
  }
}

const outcomes = selected.map((m, i) => runOne(m, i + 1));
console.log('\nmutation                  verdict    seconds  first failure (or why)');
for (const o of outcomes) {
  const m = mutations.find((x) => x.id === o.id)!;
  const expected = m.legitimate ? 'survived' : 'killed';
  console.log(`${o.id.padEnd(25)} ${(o.verdict + (o.verdict === expected ? '' : ' ×')).padEnd(10)} ${o.seconds.toFixed(0).padStart(7)}  ${o.detail}`);
}
const bad = outcomes.filter((o) => o.verdict !== (mutations.find((x) => x.id === o.id)!.legitimate ? 'survived' : 'killed'));
console.log(`\nmutate: ${outcomes.length - bad.length} of ${outcomes.length} as expected (killed, or survived where legitimate)`);
process.exit(bad.length ? 1 : 0);
