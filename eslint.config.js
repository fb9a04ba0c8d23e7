// Lint configuration: typescript-eslint's recommended rules over every TypeScript file we own.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'protocols/*.ts', 'bench/helia/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Long lines hide what a reviewer should see; 140 leaves room for a signature with its types.
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }]
    }
  },
  {
    files: ['src/cli/**', 'bin/**', 'sim/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' }
  },
  { files: ['**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    // The dashboard's page: plain ES modules for the browser (no build step), the globals it uses.
    files: ['web/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries([
        'window', 'document', 'location', 'history', 'fetch', 'EventSource', 'XMLHttpRequest', 'FormData', 'URLSearchParams',
        'ResizeObserver', 'requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'clearTimeout', 'setInterval',
        'clearInterval', 'confirm', 'performance', 'crypto'
      ].map(name => [name, 'readonly']))
    },
    rules: { 'no-console': 'error' }
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { process: 'readonly', require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
)
