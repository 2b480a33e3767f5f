/**
 * Time to a verdict: runs the whole suite N times on a warm local cluster (booted by this script if
 * none runs) and prints, per phase, min / median / max over the runs: cluster ready, each module's
 * deploy, each spec folder (its tests' own time), removal, and the whole run.
 *
 *   npx tsx scripts/bench-suite.ts [runs=3] [-- playwright args, e.g. specs/nested]
 *
 * Reads the suite's own log lines ("deployed and ready in", "removed in") and Playwright's JSON
 * report, whose figure attachments (propagation and recovery times, each with its bound) it
 * summarizes too: `npx tsx scripts/bench-suite.ts 3 -- specs/resilience` gives the faults' recovery
 * times. A benchmark, not a test: it asserts nothing, it measures.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../fixtures/versions.ts';

const dashes = process.argv.indexOf('--');
const args = dashes >= 0 ? process.argv.slice(dashes + 1) : [];
const runs = Number((dashes >= 0 ? process.argv.slice(2, dashes) : process.argv.slice(2))[0] ?? 3);

interface JsonAttachment { name: string; body?: string }
interface JsonSuite { title: string; file?: string; suites?: JsonSuite[]; specs?: { tests: { projectName: string; results: { duration: number; attachments?: JsonAttachment[] }[] }[] }[] }
interface Figure { group: string; name: string; seconds: number; boundSeconds?: number }

/** The figures the specs recorded (fixtures/report/facts.ts recordFigure), by "group: name". */
function figures(report: { suites: JsonSuite[] }): Map<string, Figure> {
  const out = new Map<string, Figure>();
  const walk = (s: JsonSuite) => {
    for (const spec of s.specs ?? []) for (const t of spec.tests) for (const r of t.results) for (const a of r.attachments ?? []) {
      if (!a.name.startsWith('figure: ') || !a.body) continue;
      const f = JSON.parse(Buffer.from(a.body, 'base64').toString()) as Figure;
      out.set(`${f.group}: ${f.name}`, f);
    }
    (s.suites ?? []).forEach(walk);
  };
  report.suites.forEach(walk);
  return out;
}
const measured: Map<string, Figure>[] = [];

function projectDurations(report: { suites: JsonSuite[] }): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (s: JsonSuite) => {
    for (const spec of s.specs ?? []) for (const t of spec.tests) for (const r of t.results) out[t.projectName] = (out[t.projectName] ?? 0) + r.duration / 1000;
    (s.suites ?? []).forEach(walk);
  };
  report.suites.forEach(walk);
  return out;
}

/** Where each run's log and Playwright JSON report are kept: reports/bench/run-<i>.log, .json. */
const logDir = join(repoRoot, 'reports', 'bench');

function once(runIndex: number): Promise<Record<string, number>> {
  // Playwright writes its JSON report straight where it is kept.
  mkdirSync(logDir, { recursive: true });
  const json = join(logDir, `run-${runIndex}.json`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['playwright', 'test', '--add-reporter=json', ...args], {
      cwd: repoRoot, env: { ...process.env, CLUSTER: 'local', PLAYWRIGHT_JSON_OUTPUT_NAME: json }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const phases: Record<string, number> = { total: (Date.now() - started) / 1000 };
      // The run's own log (each deploy's steps, each removal) is kept for a reader of the figures.
      writeFileSync(join(logDir, `run-${runIndex}.log`), out);
      const ready = /cluster: .*\(ready in ([\d.]+) s\)/.exec(out);
      if (ready) phases['cluster ready'] = Number(ready[1]);
      for (const m of out.matchAll(/\[(\w+)(?:@([\w-]+))?\] \1: deployed and ready in ([\d.]+) s/g)) phases[`deploy ${m[1]}${m[2] ? ` in ${m[2]}` : ''}`] = Number(m[3]);
      // Every module of both instances is removed at once: the teardown says how long it all took.
      const removal = /\[spire-k8s-conformance\] removal: .* removed in ([\d.]+) s/.exec(out);
      if (removal) phases.removal = Number(removal[1]);
      const report = JSON.parse(readFileSync(json, 'utf8')) as { suites: JsonSuite[] };
      measured.push(figures(report));
      for (const [project, seconds] of Object.entries(projectDurations(report))) {
        // Playwright does not count worker fixtures (the module deploys) in a test's duration.
        phases[`specs/${project} (tests)`] = seconds;
      }
      const failed = /(\d+) failed/.exec(out);
      if (code !== 0) console.log(`run exited ${code}${failed ? ` (${failed[1]} failed)` : ''}: its figures are kept, and marked`);
      resolve({ ...phases, ...(code !== 0 ? { 'FAILED (exit code)': code ?? 1 } : {}) });
    });
  });
}

const all: Record<string, number>[] = [];
for (let i = 1; i <= runs; i++) {
  const r = await once(i);
  all.push(r);
  console.log(`run ${i}/${runs}: ${r.total!.toFixed(1)} s (its log: ${join(logDir, `run-${i}.log`)})`);
}
const keys = [...new Set(all.flatMap((r) => Object.keys(r)))].sort((a, b) => (a === 'total' ? 1 : b === 'total' ? -1 : a.localeCompare(b)));
const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1)).padStart(8);
console.log(`\n${'phase'.padEnd(40)}${'min'.padStart(8)}${'median'.padStart(8)}${'max'.padStart(8)}   (seconds, ${runs} runs)`);
for (const k of keys) {
  const v = all.map((r) => r[k]).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  console.log(`${k.padEnd(40)}${f(v[0])}${f(v[Math.floor((v.length - 1) / 2)])}${f(v.at(-1))}`);
}

const named = [...new Set(measured.flatMap((m) => [...m.keys()]))].sort();
if (named.length) {
  console.log(`\n${'figure'.padEnd(72)}${'min'.padStart(8)}${'median'.padStart(8)}${'max'.padStart(8)}${'bound'.padStart(8)}   (seconds)`);
  for (const k of named) {
    const v = measured.map((m) => m.get(k)).filter((x): x is Figure => x !== undefined);
    const s = v.map((x) => x.seconds).sort((a, b) => a - b);
    const bounds = v.map((x) => x.boundSeconds).filter((x): x is number => x !== undefined);
    console.log(`${k.padEnd(72)}${f(s[0])}${f(s[Math.floor((s.length - 1) / 2)])}${f(s.at(-1))}${bounds.length ? `${f(Math.min(...bounds))}` : '       -'}`);
  }
}
