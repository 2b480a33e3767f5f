// The failing check is the suite's own matcher on sets shaped like a real failure: nestedB lacks
// a JWT key the root and nestedA hold. The report must lead a reviewer to this table.
import { test } from '@playwright/test';
import { expect } from '../../../fixtures/expect.ts';

test('servers that agree pass', () => {
  expect({ root: ['kid-1', 'kid-2'], nestedA: ['kid-1', 'kid-2'] }).toHaveEqualSets('JWT signing kids');
});

test('a server missing a key fails with a kid × server table', () => {
  expect({ root: ['kid-1', 'kid-2'], nestedA: ['kid-1', 'kid-2'], nestedB: ['kid-1'] }).toHaveEqualSets('JWT signing kids');
});
