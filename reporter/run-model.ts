/**
 * Pure: a run (or several CI cells merged) as a reviewer reads it: the verdict, each promise ×
 * each cluster cell, the topology and figures the run observed, what it ran on, and setup errors.
 */
import { factTypes, type FactBodies, type Figure, type JudgedRelationship, type RunManifest } from '../fixtures/report/facts.ts';
import { mergeTopologies, type Topology } from '../fixtures/topology/model.ts';

/**
 * not checked: the check had nothing to judge (one server and nothing to compare it with, no
 * federation, a workload the audit was not allowed to touch), with its reason. Never a pass: a run
 * with one is at best PARTLY CHECKED.
 * known deviation: a promise SPIRE itself does not keep today (the spec is marked test.fail and
 * failed as expected); listed apart, it does not count against the deployment's verdict.
 */
export type Outcome = 'passed' | 'failed' | 'skipped' | 'not run' | 'not checked' | 'known deviation';

export interface TestRecord {
  /** Playwright's test id (links into the HTML report). */
  id: string;
  /** project › file › title: the same promise in every cell. */
  key: string;
  project: string;
  file: string;
  title: string;
  cell: string;
  outcome: Outcome;
  durationMs: number;
  /** First line of each error, for the matrix and summary. */
  errors: string[];
  /** Why it was not checked (outcome 'not checked'). */
  notCheckedReason?: string;
  /** What a passing check still warns about (its 'warning' annotations). */
  warnings?: string[];
  attachments: { name: string; contentType: string; body?: string }[];
}

/** A promise the suite makes: every test of the conformance projects, run or not. */
export interface RequiredSpec {
  key: string;
  project: string;
  file: string;
  title: string;
}

/** PARTLY CHECKED: nothing failed, but some checks had nothing to judge; never shown as plain CONFORMANT. */
export type Verdict = 'CONFORMANT' | 'PARTLY CHECKED' | 'NOT CONFORMANT' | 'NOT RUN';

export interface MatrixRow {
  spec: RequiredSpec;
  /** By cell: the outcome and the test to link to. */
  cells: Record<string, { outcome: Outcome; id?: string; durationMs?: number; error?: string; reason?: string; warnings?: string[] }>;
}

export interface RunModel {
  verdict: Verdict;
  counts: Record<Outcome, number>;
  required: number;
  cells: string[];
  matrix: MatrixRow[];
  topology: Topology;
  figures: (Figure & { cell: string })[];
  manifests: Record<string, RunManifest>;
  /** Errors outside any test (global setup, config): cause and fix as the terminal showed them. */
  setupErrors: string[];
  /** Why the required list may be incomplete, if it is. */
  notes: string[];
}

const kindOf = Object.fromEntries(Object.entries(factTypes).map(([k, v]) => [v, k])) as Record<string, keyof FactBodies>;

export function factsOf<K extends keyof FactBodies>(records: TestRecord[], kind: K): { body: FactBodies[K]; record: TestRecord }[] {
  return records.flatMap((record) => record.attachments.filter((a) => kindOf[a.contentType] === kind && a.body !== undefined)
    .flatMap((a) => {
      try {
        return [{ body: JSON.parse(a.body!) as FactBodies[K], record }];
      } catch {
        return [];
      }
    }));
}

function withVerdicts(topology: Topology, judged: JudgedRelationship[]): Topology {
  return {
    ...topology,
    relationships: topology.relationships.map((r) => {
      const j = judged.find((v) => v.holder === r.holder && v.peerDomain === r.peerDomain);
      return j ? { ...r, verdict: { verdict: j.verdict, reason: j.reason } } : r;
    }),
  };
}

export function buildRunModel(records: TestRecord[], required: RequiredSpec[], setupErrors: string[], notes: string[] = []): RunModel {
  const cells = [...new Set(records.map((r) => r.cell))].sort();
  if (!cells.length) cells.push('this run');
  // Tests that ran but are not in the required list (a spec added since the list was taken) still count.
  const specs = new Map(required.map((s) => [s.key, s]));
  for (const r of records) if (!specs.has(r.key)) specs.set(r.key, { key: r.key, project: r.project, file: r.file, title: r.title });
  const matrix: MatrixRow[] = [...specs.values()].map((spec) => ({
    spec,
    cells: Object.fromEntries(cells.map((cell) => {
      const r = records.find((x) => x.key === spec.key && x.cell === cell);
      return [cell, r ? { outcome: r.outcome, id: r.id, durationMs: r.durationMs, ...(r.errors[0] ? { error: r.errors[0] } : {}), ...(r.notCheckedReason ? { reason: r.notCheckedReason } : {}), ...(r.warnings?.length ? { warnings: r.warnings } : {}) } : { outcome: 'not run' as Outcome }];
    })),
  }));
  const counts: Record<Outcome, number> = { passed: 0, failed: 0, skipped: 0, 'not run': 0, 'not checked': 0, 'known deviation': 0 };
  for (const row of matrix) for (const c of Object.values(row.cells)) counts[c.outcome] += 1;
  const ran = records.some((r) => r.outcome === 'passed' || r.outcome === 'failed' || r.outcome === 'known deviation');
  const total = matrix.length * cells.length;
  const verdict: Verdict = !ran ? 'NOT RUN'
    : counts.passed + counts['known deviation'] === total ? 'CONFORMANT'
      : counts.passed + counts['known deviation'] + counts['not checked'] === total ? 'PARTLY CHECKED' : 'NOT CONFORMANT';
  const topology = withVerdicts(mergeTopologies(factsOf(records, 'topology').map((f) => f.body)), factsOf(records, 'verdicts').flatMap((f) => f.body));
  // A module's deploy figure is handed over by each worker that used it: keep one.
  const figures = [...new Map(factsOf(records, 'figure').map((f) => ({ ...f.body, cell: f.record.cell }))
    .map((f) => [`${f.cell} ${f.group} ${f.name} ${f.seconds}`, f] as const)).values()];
  const manifests = Object.fromEntries(factsOf(records, 'manifest').map((f) => [f.record.cell, f.body]));
  return { verdict, counts, required: matrix.length, cells, matrix, topology, figures, manifests, setupErrors, notes };
}

/** The checks that judged nothing, each with its reason (the same reason once per cell). */
export function notChecked(m: RunModel): { title: string; reason: string }[] {
  return [...new Map(m.matrix.flatMap((r) => Object.values(r.cells).filter((c) => c.outcome === 'not checked')
    .map((c) => [`${r.spec.title} ${c.reason}`, { title: r.spec.title, reason: c.reason ?? 'no reason given' }] as const))).values()];
}

/** The verdict as a reviewer reads it first: plain CONFORMANT only when every check ran and passed. */
export function headline(m: RunModel): string {
  if (m.verdict !== 'PARTLY CHECKED') return m.verdict;
  const checked = m.counts.passed + m.counts['known deviation'];
  return `CONFORMANT on ${checked} of ${checked + m.counts['not checked']} checks (${m.counts['not checked']} not checked)`;
}

/** Why the verdict is what it is, in one line. */
export function verdictReason(m: RunModel): string {
  if (m.verdict === 'NOT RUN') return m.setupErrors.length ? 'the run stopped before any spec ran' : 'no spec ran';
  const deviations = m.counts['known deviation'];
  const passed = deviations ? `the ${m.required} required specs passed but ${deviations} known deviation(s) of SPIRE itself (listed apart)` : `all ${m.required} required specs passed`;
  if (m.verdict === 'CONFORMANT') return `${passed}${m.cells.length > 1 ? ` on each of ${m.cells.length} clusters` : ''}`;
  if (m.verdict === 'PARTLY CHECKED') {
    const checked = m.counts.passed + m.counts['known deviation'];
    return `${checked} checks passed${deviations ? ` (${deviations} of them known deviations of SPIRE)` : ''}; not checked: ${notChecked(m).map((n) => `${n.title} (${n.reason})`).join('; ')}`;
  }
  const parts = [
    m.counts.failed && `${m.counts.failed} failed`,
    m.counts.skipped && `${m.counts.skipped} skipped`,
    m.counts['not run'] && `${m.counts['not run']} not run`,
  ].filter(Boolean);
  return `${parts.join(', ')} of ${m.required * m.cells.length} required results (a required spec skipped or not run counts against the verdict)`;
}
