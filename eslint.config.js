// One linter, type-aware, over the Worker and the tests. An unawaited promise in a Worker or a
// Durable Object is a correctness bug, so no-floating-promises is an error.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".scratch/", ".wrangler/", "worker-configuration.d.ts", "drizzle/", "scripts/", "coverage/"] },
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.ts", "src/**/*.tsx", "test/**/*.ts", "examples/**/*.ts", "bench/**/*.ts", "*.ts"],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["drizzle.config.ts", "vitest.config.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // Test doubles, SCIM fixtures and the SCIM demo app deal in loosely typed JSON on purpose.
    files: ["test/**/*.ts", "examples/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
