import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'packages/*/dist/**',
      'coverage/**',
      'data/**',
      'node_modules/**',
      'scripts/**',
      '.scratch/**',
      'test/artifacts/**',
      'eslint.config.js',
      'jest.config.mjs',
      'test/global-*.mjs',
      'test/support/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The benchmarks are JavaScript type-checked with checkJs (bench/tsconfig.json): the type check
    // already finds undefined names, and knows Node's globals.
    files: ['bench/**/*.mjs'],
    rules: { 'no-undef': 'off' },
  },
);
