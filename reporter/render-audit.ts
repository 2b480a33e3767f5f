/**
 * Pure: an audit's results as an operator reads them in a terminal, the way `linkerd check` and
 * kube-bench print theirs: one line per check, grouped by area; √ passed, ‼ passed with a warning,
 * × failed (with its first error, what to change, and the README section), – not checked (why).
 * The exit code follows the verdict: 0 conformant, 1 not, 2 could not run.
 */
import type { Outcome, Verdict } from './run-model.ts';

/** results.json, as much of it as this reads. */
export interface AuditResults {
  verdict: Verdict;
  headline: string;
  reason: string;
  setupErrors: string[];
  specs: { file: string; title: string; cells: Record<string, { outcome: Outcome; error?: string; reason?: string; warnings?: string[] }> }[];
}

const readme = 'README.md#auditing-your-spire';

/** Each audit check's area, and what to change when it fails (by spec file name). */
export const auditChecks: Record<string, { area: string; remediation: string }> = {
  'servers-agree': { area: 'trust domain', remediation: 'a server or replica holds other keys than its peers: replicas must share one datastore (a database, not one sqlite file each); nested servers need a working UpstreamAuthority "spire" link (check their logs for "upstream")' },
  'bundle-endpoints-conform': { area: 'federation', remediation: 'serve the bundle endpoint from the server itself (federation { bundle_endpoint { … } }) with the refresh_hint you mean; a proxy in front must pass it unchanged' },
  'federation-fresh': { area: 'federation', remediation: 'the verdict names the relationship and the figure: lower the peer\'s bundle_endpoint refresh_hint below the key lead it gives, or make the peer\'s endpoint reachable from the holder; an unjudgeable verdict needs the holder\'s log readable' },
  'oidc-parity': { area: 'OIDC discovery', remediation: 'point the provider\'s workload_api socket_path at an agent of the trust domain it serves, and its domains at the name relying parties use; its discovery document must name the servers\' jwt_issuer exactly (the scheme included: allow_insecure_scheme only behind plain HTTP), and a cache or proxy in front must serve what the provider serves' },
  'workloads-registered': { area: 'workloads', remediation: 'create a registration entry (spire-server entry create, or a ClusterSPIFFEID) that selects the pod, or stop mounting the agent socket into it' },
  'production-ready': { area: 'production', remediation: 'each finding above names the line to change and the file it is in (README: What production needs)' },
  'workload-svids': { area: 'workloads', remediation: 'fix what the first error names; with --touch-workloads the audit may run a sibling pod (deleted after) to fetch SVIDs for workloads with no SPIRE tool in their image' },
};

const mark: Record<Outcome, string> = { passed: '√', failed: '×', 'not checked': '–', skipped: '–', 'not run': '–', 'known deviation': '◐' };
const nameOf = (file: string) => file.split('/').pop()!.replace(/\.spec\.ts$/, '');

export function renderAuditText(r: AuditResults): string {
  const lines: string[] = [];
  if (r.setupErrors.length) lines.push('The audit could not run:', ...r.setupErrors.map((e) => `  ${e.split('\n').slice(0, 4).join('\n  ')}`), '');
  const areas = new Map<string, string[]>();
  // The audit's checks only: a run that never started lists every spec it knows of as not run.
  for (const s of r.specs.filter((x) => /(^|\/)audit\//.test(x.file))) {
    const check = auditChecks[nameOf(s.file)];
    const area = check?.area ?? 'other';
    for (const c of Object.values(s.cells)) {
      const warned = c.outcome === 'passed' && c.warnings?.length;
      const out = [`${warned ? '‼' : mark[c.outcome]} ${nameOf(s.file)}: ${s.title}${c.outcome === 'not checked' || c.outcome === 'not run' ? ` (${c.outcome})` : ''}`];
      if (c.outcome === 'not checked' && c.reason) out.push(`    why: ${c.reason}`);
      if (warned) out.push(...c.warnings!.map((w) => `    warning: ${w}`));
      if (c.outcome === 'failed') {
        out.push(`    ${(c.error ?? 'failed').split('\n').slice(0, 4).join('\n    ')}`);
        if (check) out.push(`    fix: ${check.remediation}`);
        out.push(`    see: ${readme}`);
      }
      areas.set(area, [...(areas.get(area) ?? []), ...out]);
    }
  }
  for (const [area, out] of areas) lines.push(area, '-'.repeat(area.length), ...out, '');
  lines.push(`Verdict: ${r.headline}`, r.reason);
  return `${lines.join('\n')}\n`;
}

/** 0 conformant (every check run, or `allowNotChecked` and the rest passed), 1 not, 2 could not run. */
export function auditExitCode(r: AuditResults, allowNotChecked: boolean): number {
  if (r.verdict === 'NOT RUN') return 2;
  if (r.verdict === 'CONFORMANT' || (r.verdict === 'PARTLY CHECKED' && allowNotChecked)) return 0;
  return 1;
}
