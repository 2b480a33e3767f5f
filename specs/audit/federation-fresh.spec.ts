// Audit: every federation relationship of the audited servers is fresh: the holder's copy has the
// peer's keys within the lag SPIRE's own polling rules give for the configuration read, and its
// polls succeed. Otherwise the verdict (stale, at-risk, not-refreshing) with its figures; a
// relationship judged without an input (an unreadable log, unknown key ages) is unjudgeable, and
// that fails too: fresh is never said without the evidence.
import { test, expect, notChecked } from '../../fixtures/audit/audit.fixture.ts';
import { judgedRelationships, observeFederation, verdictTable } from '../../fixtures/spire/federation-state.ts';
import { attachFact } from '../../fixtures/report/facts.ts';

test('every federation relationship is fresh', async ({ audit }, testInfo) => {
  if (!audit.topology.relationships.length) notChecked('the audited servers hold no federation relationship');
  const observed = await test.step('judge every relationship', () => observeFederation(audit.kube, audit.target.servers));
  await testInfo.attach('federation verdicts.txt', { body: verdictTable(observed) });
  await attachFact(testInfo, 'verdicts', 'audited', judgedRelationships(observed));
  expect(observed.problems, 'relationships that could not be judged').toEqual([]);
  expect(observed.verdicts.filter((v) => v.verdict !== 'fresh').map((v) => v.reason)).toHaveNoViolations('the audited federation relationships');
});
