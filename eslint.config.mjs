import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.venv/**', '.sluice/**', 'ui/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'test/**/*.mjs', 'bin/**/*.js', '*.js', '*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'process', 'timers', 'util', 'stream', 'events', 'worker_threads'], message: 'Workflow code must not import Node built-ins.' },
          { group: ['**/activities', '**/activities/*'], message: 'Import activities with `import type` only.', allowTypeImports: true },
          { group: ['**/store/*', '**/api/*', '**/stack/*', '**/cli/*', '**/worker/*'], message: 'Workflow code may import only ir/ and config/constants.', allowTypeImports: true },
        ],
      }],
    },
  },
);
