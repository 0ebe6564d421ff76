// Lint rules: typescript-eslint's recommended set plus the project's habits (STYLE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'examples/**/public/**',
      '**/mockServiceWorker.js',
      // Standalone apps with their own toolchain (own package, lock file and TypeScript version).
      'examples/angular/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { console: 'readonly', process: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'focused tests hide the rest' },
        { selector: "CallExpression[callee.property.name='skip']", message: 'skipped tests check nothing' },
      ],
    },
  },
  {
    files: ['react/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['rxjs', 'rxjs/*', 'xstate', 'xstate/*'],
              message: 'react/ stays free of RxJS and XState',
            },
          ],
        },
      ],
    },
  },
);
