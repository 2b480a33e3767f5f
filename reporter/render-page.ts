/**
 * Pure: the run's front page, one self-contained HTML file: verdict, conformance matrix (each
 * cell links to its test in Playwright's HTML report), failures with their first error, the
 * topology as observed, timelines, and the run manifest.
 */
import type { Figure } from '../fixtures/report/facts.ts';
import { headline, notChecked, verdictReason, type Outcome, type RunModel } from './run-model.ts';
import { escapeXml as esc, timelineSvg, topologySvg } from './render-svg.ts';

export interface PageContext {
  /** Playwright's HTML report, relative to the front page. */
  htmlReport: string;
  /** git commit (and "+ local changes") the run's code came from. */
  commit: string;
  generatedAt: string;
}

const mark: Record<Outcome, string> = { passed: '✔ passed', failed: '✘ failed', skipped: '– skipped', 'not run': '· not run', 'not checked': '○ not checked', 'known deviation': '◐ known deviation' };

export const testLink = (ctx: PageContext, id: string) => `${ctx.htmlReport}#?testId=${encodeURIComponent(id)}`;

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) out.set(key(i), [...(out.get(key(i)) ?? []), i]);
  return out;
}

function manifestSection(m: RunModel, ctx: PageContext): string {
  const images = new Map<string, string>();
  for (const x of [...m.topology.servers, ...m.topology.agents, ...m.topology.oidcProviders]) if (x.image) images.set(x.image.image, x.image.imageID);
  const cells = Object.entries(m.manifests).map(([cell, man]) => `<tr><th>${esc(cell)}</th><td>${esc(man.cluster.description)}</td><td>${esc(man.cluster.serverVersion)}</td>`
    + `<td>${man.cluster.nodes.map((n) => esc(`${n.name}: kubelet ${n.kubelet}, ${n.runtime}, ${n.os}`)).join('<br>')}</td>`
    + `<td>${Object.entries(man.options).map(([k, v]) => esc(`${k}=${v}`)).join('<br>') || '(defaults)'}</td><td><code>${esc(man.command)}</code></td></tr>`).join('');
  return `<section id="manifest"><h2>Run manifest</h2>
<table class="manifest"><tr><th>cell</th><th>cluster</th><th>API server</th><th>nodes</th><th>options</th><th>reproduce with</th></tr>${cells || '<tr><td colspan="6">no cluster was reached</td></tr>'}</table>
<table class="images"><tr><th>image</th><th>digest the kubelet ran</th></tr>${[...images].sort().map(([i, d]) => `<tr><td><code>${esc(i)}</code></td><td><code>${esc(d)}</code></td></tr>`).join('') || '<tr><td colspan="2">no SPIRE pod was observed</td></tr>'}</table>
<p>Code: <code>${esc(ctx.commit)}</code> · page written ${esc(ctx.generatedAt)}</p></section>`;
}

function matrixSection(m: RunModel, ctx: PageContext): string {
  const head = `<tr><th>project</th><th>promise (spec › test)</th>${m.cells.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = m.matrix.map((r) => `<tr data-spec="${esc(r.spec.key)}"><td>${esc(r.spec.project)}</td><td>${esc(r.spec.file)} › ${esc(r.spec.title)}</td>${m.cells.map((c) => {
    const cell = r.cells[c]!;
    const text = mark[cell.outcome] + (cell.durationMs !== undefined && cell.outcome !== 'not run' ? ` <small>${(cell.durationMs / 1000).toFixed(1)} s</small>` : '');
    return `<td class="${cell.outcome.replace(' ', '-').replace('/', '')}" data-cell="${esc(c)}">${cell.id ? `<a href="${esc(testLink(ctx, cell.id))}">${text}</a>` : text}</td>`;
  }).join('')}</tr>`).join('');
  return `<section id="matrix"><h2>Conformance matrix</h2><table class="matrix">${head}${rows}</table></section>`;
}

/** Each known deviation's upstream-ready report (what, expected, observed, the code path, a reproduction), in the repository. */
export const deviationReports: Record<string, string> = {
  'lifecycle/jwt-key-revocation.spec.ts': 'docs/spire-jwt-revocation-in-nested-trust-domains.md',
};

const reportOf = (file: string) => Object.entries(deviationReports).find(([spec]) => file.endsWith(spec))?.[1];

/** Promises SPIRE itself does not keep today: each spec's failure says where, its comment why, its report what SPIRE could do. */
function deviationsSection(m: RunModel, ctx: PageContext): string {
  const known = m.matrix.flatMap((r) => Object.entries(r.cells).filter(([, c]) => c.outcome === 'known deviation').map(([cell, c]) => ({ r, cell, c })));
  if (!known.length) return '';
  return `<section id="deviations"><h2>Known deviations of SPIRE</h2><p>Promises a relying party needs that SPIRE itself does not keep today, whatever the deployment; they do not count against the verdict. Each spec is marked to fail, so the day SPIRE keeps the promise it passes and the run fails until the mark is removed.</p><ul>${known.map(({ r, cell, c }) =>
    `<li><a href="${esc(testLink(ctx, c.id!))}">${esc(r.spec.file)} › ${esc(r.spec.title)}</a> <small>(${esc(cell)})</small>${reportOf(r.spec.file) ? ` <span data-testid="upstream-report">upstream report: <code>${esc(reportOf(r.spec.file)!)}</code></span>` : ''}<pre>${esc(c.error ?? '')}</pre></li>`).join('')}</ul></section>`;
}

/** Checks that judged nothing: never a pass, so each says why, where the verdict is read. */
function notCheckedSection(m: RunModel): string {
  const list = notChecked(m);
  if (!list.length) return '';
  return `<section id="not-checked"><h2>Not checked</h2><p>These checks had nothing to judge in this deployment, or were not allowed to touch it: they are not passes, and the verdict says so.</p><ul>${list.map((n) =>
    `<li>${esc(n.title)}: <em>${esc(n.reason)}</em></li>`).join('')}</ul></section>`;
}

function failuresSection(m: RunModel, ctx: PageContext): string {
  const failed = m.matrix.flatMap((r) => Object.entries(r.cells).filter(([, c]) => c.outcome === 'failed').map(([cell, c]) => ({ r, cell, c })));
  if (!failed.length) return '';
  return `<section id="failures"><h2>Failed promises</h2><ul>${failed.map(({ r, cell, c }) =>
    `<li><a href="${esc(testLink(ctx, c.id!))}">${esc(r.spec.file)} › ${esc(r.spec.title)}</a> <small>(${esc(cell)})</small><pre>${esc(c.error ?? '')}</pre></li>`).join('')}</ul>
<p>Each link opens the test in Playwright's report: its error, steps, and evidence (tables, logs, events) under Attachments.</p></section>`;
}

function timelinesSection(figures: (Figure & { cell: string })[]): string {
  if (!figures.length) return '<section id="timelines"><h2>Timelines</h2><p>No propagation was measured in this run.</p></section>';
  const charts = [...groupBy(figures, (f) => `${f.group}${new Set(figures.map((x) => x.cell)).size > 1 ? ` (${f.cell})` : ''}`)]
    .map(([group, fs]) => `<figure><figcaption>${esc(group)}</figcaption>${timelineSvg(group, fs)}</figure>`);
  return `<section id="timelines"><h2>Timelines</h2><p>Each bar is a measured time; the dashed mark is the bound SPIRE's rules give for the configuration the run read (hover it for its source). A red bar went past its bound.</p>${charts.join('')}</section>`;
}

const style = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328}h1{font-size:20px}h2{font-size:17px;margin-top:28px}
.verdict{display:inline-block;padding:6px 14px;border-radius:6px;font-weight:700;font-size:18px;color:#fff}.CONFORMANT{background:#1a7f37}.NOT-CONFORMANT{background:#cf222e}.NOT-RUN{background:#57606a}.PARTLY-CHECKED{background:#9a6700}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}td.passed{background:#dafbe1}td.failed{background:#ffebe9}td.skipped,td.not-run{background:#fff8c5}td.known-deviation{background:#ddf4ff}td.passed,td.failed,td.skipped,td.not-run,td.na,td.known-deviation{white-space:nowrap}
pre{background:#f6f8fa;padding:8px;white-space:pre-wrap;max-width:1100px}small{color:#57606a}
svg text{font:12px system-ui,sans-serif}svg .td{font-weight:700}svg .tdbox{fill:none;stroke:#d0d7de;stroke-dasharray:4 3}svg .node rect{fill:#fff;stroke:#57606a}svg .server rect{fill:#ddf4ff}svg .agent rect{fill:#f6f8fa}svg .oidc rect{fill:#fbefff}
svg .name{font-weight:600}svg .detail,svg .edge-label{fill:#57606a;font-size:11px}svg line.upstream{stroke:#0969da;stroke-width:1.5}svg line.attests{stroke:#8c959f;stroke-dasharray:3 3}svg .federation{fill:none;stroke-width:2}svg .fed-label{font-weight:600}
svg .bar{fill:#2da44e}svg .bar.over{fill:#cf222e}svg .bound{stroke:#1f2328;stroke-width:2;stroke-dasharray:3 2}svg .value{fill:#57606a}figure{margin:12px 0}figcaption{font-weight:600}`;

export function renderFrontPage(m: RunModel, ctx: PageContext): string {
  const setup = m.setupErrors.length ? `<section id="setup-error"><h2>The run stopped before its specs</h2>${m.setupErrors.map((e) => `<pre>${esc(e)}</pre>`).join('')}</section>` : '';
  const topology = m.topology.servers.length
    ? `<section id="topology"><h2>Topology as deployed</h2><p>Drawn from what the run read in the cluster: each server's running configuration and bundle, the agents' server_address, the OIDC provider's agent socket, and the federation relationships with their peers' refresh hints and verdicts.</p>${topologySvg(m.topology)}</section>`
    : '<section id="topology"><h2>Topology as deployed</h2><p>No SPIRE server was observed in this run.</p></section>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPIRE conformance: ${esc(headline(m))}</title><style>${style}</style></head><body>
<h1>SPIRE on Kubernetes: conformance run</h1>
<p><span class="verdict ${m.verdict.replaceAll(' ', '-')}" data-testid="verdict">${esc(headline(m))}</span> <span data-testid="verdict-reason">${esc(verdictReason(m))}</span></p>
<p>${m.counts.passed} passed · ${m.counts.failed} failed · ${m.counts.skipped} skipped · ${m.counts['not run']} not run${m.counts['not checked'] ? ` · ${m.counts['not checked']} not checked` : ''}${m.counts['known deviation'] ? ` · ${m.counts['known deviation']} known deviation(s) of SPIRE` : ''}, of ${m.required} required specs × ${m.cells.length} cell(s). <a href="${esc(ctx.htmlReport)}" data-testid="html-report">Playwright's full report →</a></p>
${m.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}
${setup}${failuresSection(m, ctx)}${notCheckedSection(m)}${deviationsSection(m, ctx)}${topology}${matrixSection(m, ctx)}${timelinesSection(m.figures)}
<section id="musts"><h2>SPIFFE MUST coverage</h2><p>Not counted yet: the suite has no MUST catalogue to count against.</p></section>
${manifestSection(m, ctx)}
</body></html>`;
}
