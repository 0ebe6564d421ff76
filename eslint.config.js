// Lint rules: typescript-eslint's recommended set plus the project's habits (STYLE.md).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { URL } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Standalone example apps (own package and lock file, outside the workspaces) have their own toolchain.
const { workspaces } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const standaloneApps = readdirSync(new URL('./examples', import.meta.url))
  .filter((name) => existsSync(new URL(`./examples/${name}/package.json`, import.meta.url)))
  .filter((name) => !workspaces.includes(`examples/${name}`))
  .map((name) => `examples/${name}/**`);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'examples/**/public/**',
      '**/mockServiceWorker.js',
      ...standaloneApps,
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
    // The client core and its React binding: options objects past three parameters, and switches over
    // unions (event types, transport messages, machine states) that the compiler proves exhaustive.
    files: ['client/src/**/*.{ts,tsx}', 'react/src/**/*.{ts,tsx}'],
    ignores: ['**/*.test.{ts,tsx}', '**/*.test-d.{ts,tsx}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'max-params': ['error', 3],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { allowDefaultCaseForExhaustiveSwitch: true, considerDefaultExhaustiveForUnions: true },
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
