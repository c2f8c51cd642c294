// ESLint: typescript-eslint's type-checked recommendations, with the type
// information of each layer's own tsconfig.json (projectService finds it).
// `npm run lint` runs this and `prettier --check`.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', '.web-test/', '.vscode-test/', 'test-output/', '**/*.d.ts', 'test/**/fixtures/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // The same convention as tsc's noUnusedLocals: a leading _ marks a name kept on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true, caughtErrors: 'none' }],
      // Opcodes and vectors are numbers read from guest memory, compared with `Op`/`Vector` members by design.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // The IO interfaces (CliIo, FileReader, ...) are objects of arrow functions, passed around by their methods.
      '@typescript-eslint/unbound-method': 'off',
      // An async function without await is a plain way to return a promise, not a bug.
      '@typescript-eslint/require-await': 'off',
      // String(x) on loosely typed protocol values is deliberate; restrict-template-expressions still catches `${object}`.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Tests and scripts read JSON, DAP bodies and tool modules untyped; their assertions check the shapes.
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.cjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    // Node scripts and CommonJS entry points (bin/*.js, *.cjs).
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        queueMicrotask: 'readonly',
        URL: 'readonly',
        // scripts/web/*.mjs are injected into the browser bundles.
        MessageChannel: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
