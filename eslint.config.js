// One lint configuration for the whole workspace. Project boundaries (DESIGN.md) are
// enforced with Nx tags: `type:*` says what a project is, `scope:*` which side it serves.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Which projects may import which. In test files (`inTests`) the test helpers
 * (`type:testing`) are allowed too and external packages are not banned.
 */
const constraints = (inTests) => {
  const testing = inTests ? ['type:testing'] : [];
  const banned = (packages) => (inTests ? [] : packages);
  return [
    // Libraries never import apps or test helpers, and carry no transport or storage code.
    {
      sourceTag: 'type:lib',
      onlyDependOnLibsWithTags: ['type:lib', ...testing],
      bannedExternalImports: banned(['ioredis', 'fastify', '@fastify/*', 'testcontainers', 'node-forge']),
    },
    // The edge runs on its cached configuration: never the control plane, never Redis.
    {
      sourceTag: 'scope:edge',
      onlyDependOnLibsWithTags: ['scope:shared', 'scope:edge'],
      bannedExternalImports: banned(['ioredis', 'testcontainers']),
    },
    { sourceTag: 'scope:control-plane', onlyDependOnLibsWithTags: ['scope:shared', 'scope:control-plane'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', ...testing] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib'] },
    // Benchmarks, generators and CI helpers may use libraries and test helpers.
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
  ];
};

const boundaries = (inTests) => ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints: constraints(inTests) }];

const testFiles = ['**/*.spec.ts', '**/test/**/*.ts'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'libs/proto/src/gen/**', '**/.nx/**', 'tools/lint/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      // A library is reached only through its curated index.ts: no deep imports.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@portcullis/*/*'], message: 'Import the library by its name; its index.ts lists what is public.' },
            {
              group: ['@portcullis/control-plane', '@portcullis/edge-node', '@portcullis/console', '@portcullis/cli'],
              message: 'Apps are not libraries: move what both sides need into a lib.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: testFiles,
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
  },
);
