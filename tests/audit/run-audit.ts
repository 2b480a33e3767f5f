/**
 * Runs the audit as a self-test needs it, each run reported into its own folder under `root`, and
 * returns its results.json: through Playwright (`--project audit`, any extra arguments such as a
 * --grep), or as an operator runs it (`npm run topology -- audit`, `cli: true`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditResults } from '../../reporter/render-audit.ts';
import { repoRoot } from '../../fixtures/versions.ts';

export interface AuditRun {
  status: number | null;
  output: string;
  results: AuditResults;
}

export interface AuditOptions {
  /** audit.yaml; none: discovered. */
  file?: string;
  /** Through `npm run topology -- audit` (its arguments in `args`), not Playwright. */
  cli?: boolean;
  args?: string[];
  env?: Record<string, string>;
}

export function runAudit(root: string, options: AuditOptions = {}): AuditRun {
  const env = {
    ...process.env, SPIRE_K8S_REPORTS: root, SPIRE_K8S_RUN_DIR: '', AUDIT_FILE: options.file ?? '', AUDIT_TOUCH_WORKLOADS: '',
    CLUSTER: process.env.CLUSTER || 'local', ...options.env,
  };
  const r = options.cli
    ? spawnSync('npx', ['tsx', 'scripts/topology.ts', 'audit', ...(options.args ?? [])], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000, env })
    : spawnSync(process.execPath, [join(repoRoot, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '--project', 'audit', ...(options.args ?? [])], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000, env: { SPIRE_K8S_PROGRESS: 'dot', ...env } });
  const results = JSON.parse(readFileSync(join(root, readlinkSync(join(root, 'latest')), 'results.json'), 'utf8')) as AuditResults;
  return { status: r.status, output: `${r.stdout}${r.stderr}`, results };
}
