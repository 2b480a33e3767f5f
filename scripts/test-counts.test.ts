import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countJunit, countNodeTest, failuresJunit } from './test-counts.ts';

describe('test counts', () => {
  it('reads node --test TAP and spec summaries, the last one winning', () => {
    assert.deepEqual(countNodeTest('ok 1 - a\n# tests 3\n# pass 2\n# fail 1\n# skipped 0\n# todo 0\n'), { passed: 2, failed: 1, skipped: 0 });
    assert.deepEqual(countNodeTest('ℹ pass 9\nℹ fail 0\nℹ skipped 1\n'), { passed: 9, failed: 0, skipped: 1 });
    assert.deepEqual(countNodeTest('# pass 1\n# fail 0\n# pass 4\n# fail 2\n'), { passed: 4, failed: 2, skipped: 0 });
  });
  it('says nothing when the runner printed no summary (it crashed)', () => {
    assert.equal(countNodeTest('Error: Cannot find module'), undefined);
    assert.equal(countJunit(''), undefined);
  });
  it('reads Playwright JUnit totals, skipped and errors apart from passed', () => {
    const xml = '<?xml version="1.0"?>\n<testsuites id="" name="" tests="40" failures="2" skipped="3" errors="1" time="10">';
    assert.deepEqual(countJunit(xml), { passed: 34, failed: 3, skipped: 3 });
  });
  it('names each failed Playwright test where it failed, with its error, and nothing for a passing one', () => {
    // As Playwright 1.65 writes it (a spec whose step fails).
    const xml = `<testsuites id="" name="" tests="2" failures="1" skipped="0" errors="0" time="5.18">
<testsuite name="a.spec.ts" timestamp="2026-11-28T06:28:10.586Z" hostname="nested" tests="2" failures="1" skipped="0" time="0.047" errors="0">
<testcase name="a &quot;b&quot; &amp; c" classname="a.spec.ts" time="0.026">
<system-out>
<![CDATA[
[[ATTACHMENT|../test-results/a-a-b-c-nested/error-context.md]]
]]>
</system-out>
<failure message="one is two" type="expect.toBe">
<![CDATA[  [nested] › a.spec.ts:2:1 › a "b" & c › step one ──────────────────────────

    Error: one is two

    Expected: 2
]]>
</failure>
</testcase>
<testcase name="passes" classname="a.spec.ts" time="0.021">
</testcase>
</testsuite>
</testsuites>`;
    assert.deepEqual(failuresJunit(xml), ['[nested] › a.spec.ts:2:1 › a "b" & c › step one: one is two']);
  });
});
