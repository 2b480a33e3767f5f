/**
 * Each run writes its reports into a folder of its own (reports/runs/<stamp>), and `reports/latest`
 * points at the newest: a run that fails in setup no longer replaces the last good report.
 * reports/index.html opens the latest front page.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** Runs kept under reports/runs; older ones are removed when a new one is published. */
export const keptRuns = 20;

export const reportsRoot = (repoRoot: string, env = process.env): string => resolve(repoRoot, env.SPIRE_K8S_REPORTS || 'reports');

/**
 * The folder of this run, chosen once in the runner's process (the config is loaded again in each
 * worker, which inherit the environment, so all agree).
 */
export function runDirectory(repoRoot: string, env = process.env): string {
  if (!env.SPIRE_K8S_RUN_DIR) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    env.SPIRE_K8S_RUN_DIR = join(reportsRoot(repoRoot, env), 'runs', `${stamp}-${process.pid}`);
  }
  return env.SPIRE_K8S_RUN_DIR;
}

/** Points reports/latest at `runDir`, writes reports/index.html, and prunes old runs. */
export function publishLatest(root: string, runDir: string): void {
  mkdirSync(root, { recursive: true });
  const latest = join(root, 'latest');
  const tmp = join(root, `.latest-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(relative(root, runDir), tmp);
  if (existsSync(latest) && !lstatSync(latest).isSymbolicLink()) rmSync(latest, { recursive: true, force: true });
  renameSync(tmp, latest);
  writeFileSync(join(root, 'index.html'), '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=latest/index.html"><title>SPIRE conformance</title><a href="latest/index.html">Latest run</a> · <a href="runs/">all runs</a>\n');
  const runs = join(root, 'runs');
  if (!existsSync(runs)) return;
  const names = readdirSync(runs).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keptRuns))) {
    if (resolve(runs, old) !== resolve(runDir)) rmSync(join(runs, old), { recursive: true, force: true });
  }
}
