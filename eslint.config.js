// ESLint for the page in web/: the recommended rules, browser globals, native ES modules.
// Run with `make lint` (or `npx --no-install eslint web/`); tests/web/test_lint.py runs it too.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["web/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      // The page runs under a CSP without 'unsafe-eval': keep eval and its cousins out.
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
    },
  },
];
