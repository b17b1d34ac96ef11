import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.infra/**', '.xsaga/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    // Tool configuration files must default-export their config.
    files: ['*.config.js', '*.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Machines are replayed: they must stay pure (no I/O, clock, randomness or environment).
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', '../runtime/*', '../adapters/*', '../api/*', '@opentelemetry/*'] }],
      'no-restricted-globals': ['error', 'process', 'Date', 'setTimeout', 'setInterval', 'fetch'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random' }],
    },
  },
  {
    // Tracing: the code speaks @opentelemetry/api only (no-ops until an SDK registers); app/ alone sets the SDK up.
    files: ['runtime/**/*.ts', 'adapters/**/*.ts', 'api/**/*.ts', 'orders/**/*.ts', 'participants/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@opentelemetry/*', '!@opentelemetry/api'],
              message: 'Only app/ sets up the OpenTelemetry SDK; use @opentelemetry/api.',
            },
          ],
        },
      ],
    },
  },
);
