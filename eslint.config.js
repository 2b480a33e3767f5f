// Lint rules: typescript-eslint's recommended, type-aware set, plus the two mistakes an async
// test suite cannot afford (a promise nobody awaits, a focused test left in).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'reports/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error',
        { object: 'test', property: 'only', message: 'a focused test would skip the rest of the suite' }],
    },
  },
  // node:test's describe/it return promises the runner itself awaits.
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-floating-promises': 'off' } },
  // Playwright's fixture signature: `async ({}, use) => …` for fixtures without dependencies.
  { files: ['fixtures/**/*.fixture.ts', 'fixtures/fault-instance.ts'], rules: { 'no-empty-pattern': 'off' } },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
