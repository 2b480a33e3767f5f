import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mutations } from '../mutations/mutations.ts';
import { repoRoot } from '../fixtures/versions.ts';

// A mutation whose text no longer occurs is a mutation that is never applied: `npm run mutate`
// would report the clean deployment's result for it.
describe('mutations', () => {
  for (const m of mutations) {
    it(`${m.id}: its text occurs exactly once in ${m.file}, and what must catch it exists`, () => {
      const text = readFileSync(join(repoRoot, m.file), 'utf8');
      assert.equal(text.split(m.find).length - 1, 1, `${m.file} holds ${JSON.stringify(m.find)} ${text.split(m.find).length - 1} times`);
      assert.ok(existsSync(join(repoRoot, m.caughtBy)), `${m.caughtBy} does not exist`);
    });
  }
  it('ids are unique', () => assert.equal(new Set(mutations.map((m) => m.id)).size, mutations.length));
});
