// ESLint for the console (`npm run lint`, with `prettier --check`). Only the
// recommended sets: JavaScript's, typescript-eslint's type-aware one (promises
// a handler drops, `any` leaking in) and React's hooks rules. Layout is
// Prettier's job: none of these sets has a formatting rule.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'src/lib/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  reactHooks.configs.flat.recommended,
  {
    languageOptions: {
      // tsconfig.test.json: the app, its tests and vite.config.ts in one program.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `const { [id]: _, ...rest } = map` is how an entry is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  { files: ['src/**'], languageOptions: { globals: globals.browser } },
  // The e2e suite runs in Node, and the callbacks it hands to page.evaluate() run in the page.
  { files: ['e2e/**'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  { files: ['*.js', '*.ts'], languageOptions: { globals: globals.node } },
  // Plain JavaScript (the e2e suite, this file) is outside the TypeScript program.
  { files: ['**/*.{js,mjs}'], ...tseslint.configs.disableTypeChecked },
);
