import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mustCoverage } from './must-coverage-model.ts';

const moduleOf = (f: string) => f.split('/').pop()!.replace(/\.ts$/, '');

describe('MUST coverage', () => {
  it('counts a MUST covered when a spec calls its check, directly or through a fixture it imports', () => {
    const code = {
      'specs/a.spec.ts': "import { x } from '../fixtures/verify/x.ts';\nx(1);",
      'specs/b.spec.ts': "import { expectY } from '../../fixtures/expect.ts';\nexpectY();",
      'fixtures/expect.ts': 'export function expectY() { y(2); }',
      'specs/c.spec.ts': "// mentions z only in a comment\nimport { helper } from '../fixtures/verify/w.ts';\nhelper();",
      'fixtures/verify/w.ts': 'export function helper() {}\nexport function wrapsZ() { z(3); }',
    };
    const c = mustCoverage({ A: 'a', B: 'b', C: 'c', D: 'd' }, [
      { name: 'x', file: 'fixtures/verify/x.ts', musts: ['A'] },
      { name: 'y', file: 'fixtures/verify/y.ts', musts: ['B'] },
      { name: 'z', file: 'fixtures/verify/z.ts', musts: ['C'] },
    ], code, moduleOf);
    assert.deepEqual(c.rows.map((r) => [r.id, r.specs]), [['A', ['specs/a.spec.ts']], ['B', ['specs/b.spec.ts']], ['C', []], ['D', []]]);
    assert.deepEqual({ covered: c.covered, total: c.total, checkedNowhere: c.checkedNowhere }, { covered: 2, total: 4, checkedNowhere: 1 });
  });
});
