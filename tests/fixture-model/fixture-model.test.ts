// The fixture model's promise, observed on a real run: a failed test makes Playwright replace its
// worker, and the new worker reuses the module deployed by the old one instead of redeploying it.
// Needs a reachable cluster (the local one in CI); it runs the canary spec through Playwright.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { readLedger } from '../../fixtures/suite/ledger.ts';
import { repoRoot } from '../../fixtures/versions.ts';

test('a failed test does not cause a redeploy: one deploy, reuses in the replacement worker', () => {
  const runId = `fixture-model-${randomBytes(3).toString('hex')}`;
  const run = spawnSync('npx', ['playwright', 'test', '-c', 'tests/fixture-model/playwright.config.ts'], {
    cwd: repoRoot, encoding: 'utf8', env: { ...process.env, SPIRE_CONFORMANCE_RUN_ID: runId }, timeout: 300_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 1, `the canary run must fail exactly because of its intended failure:\n${output}`);
  assert.match(output, /1 failed/, output);
  assert.match(output, /2 passed/, output);
  const ledger = readLedger(join(repoRoot, 'reports', '.runs', `${runId}.ledger.jsonl`)).filter((e) => e.module === 'canary');
  const deploys = ledger.filter((e) => e.action === 'deploy');
  const workers = new Set(ledger.map((e) => e.worker));
  console.log(`canary ledger: ${ledger.map((e) => `${e.action}@worker${e.worker}`).join(', ')}`);
  assert.ok(workers.size >= 2, `expected the failure to restart the worker (workers seen: ${[...workers].join(', ')})`);
  assert.equal(deploys.length, 1, `expected exactly one deploy across ${workers.size} workers, ledger: ${JSON.stringify(ledger)}`);
  assert.ok(ledger.some((e) => e.action === 'reuse' && e.worker !== deploys[0]!.worker), 'the replacement worker must reuse the deployment');
});
