import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditExitCode, renderAuditText, type AuditResults } from './render-audit.ts';

const results = (over: Partial<AuditResults> = {}): AuditResults => ({
  verdict: 'NOT CONFORMANT', headline: 'NOT CONFORMANT', reason: '1 failed', setupErrors: [],
  specs: [
    { file: 'specs/audit/servers-agree.spec.ts', title: 'each trust domain\'s servers, every replica, hold the same JWT signing keys', cells: { local: { outcome: 'failed', error: 'Error: JWT signing kids differ across spire-server/spire-server-0, spire-server/spire-server-1' } } },
    { file: 'specs/audit/oidc-parity.spec.ts', title: 'every OIDC provider serves its trust domain\'s JWT keys at /keys, key for key', cells: { local: { outcome: 'passed', warnings: ['the JWKS holds 9 keys'] } } },
    { file: 'specs/audit/federation-fresh.spec.ts', title: 'every federation relationship is fresh', cells: { local: { outcome: 'not checked', reason: 'the audited servers hold no federation relationship' } } },
    { file: 'specs/audit/workloads-registered.spec.ts', title: 'every pod that reads an agent\'s socket is registered', cells: { local: { outcome: 'passed' } } },
  ],
  ...over,
});

describe('the audit as an operator reads it', () => {
  it('one line per check, grouped by area, with why, the fix and where to read more', () => {
    const text = renderAuditText(results());
    assert.match(text, /trust domain\n-{12}\n× servers-agree: each trust domain's servers, every replica, hold the same JWT signing keys\n {4}Error: JWT signing kids differ across spire-server\/spire-server-0, spire-server\/spire-server-1\n {4}fix: a server or replica holds other keys than its peers[^\n]*\n {4}see: README.md#auditing-your-spire/);
    assert.match(text, /‼ oidc-parity: [^\n]*\n {4}warning: the JWKS holds 9 keys/);
    assert.match(text, /– federation-fresh: every federation relationship is fresh \(not checked\)\n {4}why: the audited servers hold no federation relationship/);
    assert.match(text, /√ workloads-registered: /);
    assert.match(text, /Verdict: NOT CONFORMANT\n1 failed\n$/);
  });
  it('a run that never started: the error and the audit\'s checks, none of the suite\'s specs', () => {
    const notRun = { outcome: 'not run' as const };
    const text = renderAuditText(results({
      verdict: 'NOT RUN', headline: 'NOT RUN', reason: 'the run stopped before any spec ran', setupErrors: ['SetupError: the audit reads a cluster that already runs SPIRE'],
      specs: [
        // As results.json names them: relative to specs/.
        { file: 'audit/servers-agree.spec.ts', title: 'each trust domain\'s servers, every replica, hold the same JWT signing keys', cells: { local: notRun } },
        { file: 'nested/negatives.spec.ts', title: 'a JWT-SVID for audience X is rejected for audience Y', cells: { local: notRun } },
      ],
    }));
    assert.match(text, /^The audit could not run:\n {2}SetupError: the audit reads a cluster/);
    assert.match(text, /– servers-agree: [^\n]*\(not run\)/);
    assert.doesNotMatch(text, /negatives|other\n/);
  });
  it('exits 0 conformant, 1 not or only partly checked (unless allowed), 2 could not run', () => {
    assert.equal(auditExitCode(results({ verdict: 'CONFORMANT' }), false), 0);
    assert.equal(auditExitCode(results(), true), 1);
    assert.equal(auditExitCode(results({ verdict: 'PARTLY CHECKED' }), false), 1);
    assert.equal(auditExitCode(results({ verdict: 'PARTLY CHECKED' }), true), 0);
    assert.equal(auditExitCode(results({ verdict: 'NOT RUN', setupErrors: ['SetupError: no cluster'] }), false), 2);
  });
});
