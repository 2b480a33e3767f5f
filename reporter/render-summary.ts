/**
 * Pure: the run as Markdown for a CI job summary (GitHub caps a step summary at 1 MiB; this stays
 * under 100 KB by listing failures in full and passes only as counts per project), and as
 * machine-readable JSON.
 */
import { headline, notChecked, verdictReason, type RunModel } from './run-model.ts';

const maxBytes = 100_000;
const cellMark = { passed: '✅', failed: '❌', skipped: '⏭️', 'not run': '⚪', 'not checked': '➖', 'known deviation': '🔷' } as const;
const oneLine = (s: string) => s.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 300);

export function renderSummary(m: RunModel): string {
  const lines = [`## SPIRE conformance: ${headline(m)}`, '', verdictReason(m), ''];
  if (m.setupErrors.length) lines.push('### The run stopped before its specs', '', ...m.setupErrors.map((e) => `\`\`\`\n${e.slice(0, 4000)}\n\`\`\``), '');
  lines.push(`| project | ${m.cells.join(' | ')} |`, `|---|${m.cells.map(() => '---').join('|')}|`);
  for (const project of [...new Set(m.matrix.map((r) => r.spec.project))]) {
    const rows = m.matrix.filter((r) => r.spec.project === project);
    lines.push(`| ${project} | ${m.cells.map((c) => (['passed', 'failed', 'skipped', 'not run', 'not checked', 'known deviation'] as const).map((o) => {
      const n = rows.filter((r) => r.cells[c]!.outcome === o).length;
      return n ? `${cellMark[o]} ${n}` : '';
    }).filter(Boolean).join(' ')).join(' | ')} |`);
  }
  const problems = m.matrix.flatMap((r) => Object.entries(r.cells).filter(([, c]) => c.outcome !== 'passed').map(([cell, c]) => `| ${cellMark[c.outcome]} ${c.outcome} | ${cell} | ${oneLine(`${r.spec.file} › ${r.spec.title}`)} | ${oneLine(c.error ?? c.reason ?? '')} |`));
  if (problems.length && m.verdict !== 'NOT RUN') lines.push('', '### Not passed', '', '| outcome | cell | spec | first error, or why not checked |', '|---|---|---|---|', ...problems);
  if (m.figures.length) {
    lines.push('', '### Measured', '', '| what | cell | seconds | bound |', '|---|---|---|---|');
    for (const f of m.figures) lines.push(`| ${oneLine(`${f.group}: ${f.name}`)} | ${f.cell} | ${f.seconds.toFixed(1)} | ${f.boundSeconds === undefined ? '' : f.boundSeconds.toFixed(1)} |`);
  }
  let out = lines.join('\n');
  if (Buffer.byteLength(out) > maxBytes) out = `${out.slice(0, maxBytes - 200)}\n\n… (cut at ${maxBytes} bytes: the HTML report has the rest)`;
  return `${out}\n`;
}

export function renderResults(m: RunModel): object {
  return {
    verdict: m.verdict,
    headline: headline(m),
    reason: verdictReason(m),
    notChecked: notChecked(m),
    counts: m.counts,
    cells: m.cells,
    setupErrors: m.setupErrors,
    specs: m.matrix.map((r) => ({ project: r.spec.project, file: r.spec.file, title: r.spec.title, cells: r.cells })),
    figures: m.figures,
    manifests: m.manifests,
    topology: m.topology,
  };
}
