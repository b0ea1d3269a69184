import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The project boundaries of DESIGN.md are lint errors, not conventions: this lints small
 * sources as if they sat in real projects and expects the boundary rules to fire.
 */
const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('module boundaries', () => {
  it('refuses an edge → control-plane import, by package name or by path', async () => {
    expect(
      await ruleIds(
        'apps/edge-node/src/probe.ts',
        "import { createServices } from '@portcullis/control-plane';\nexport const x = createServices;\n",
      ),
    ).toContain('no-restricted-imports');
    expect(
      await ruleIds(
        'apps/edge-node/src/probe.ts',
        "import { normaliseHostname } from '../../control-plane/src/domain/hostnames.ts';\nexport const x = normaliseHostname;\n",
      ),
    ).toContain('@nx/enforce-module-boundaries');
  });

  it('refuses Redis on the edge and storage or transport in libraries', async () => {
    expect(await ruleIds('apps/edge-node/src/probe.ts', "import { Redis } from 'ioredis';\nexport const x = Redis;\n")).toContain(
      '@nx/enforce-module-boundaries',
    );
    expect(await ruleIds('libs/pki/src/probe.ts', "import Fastify from 'fastify';\nexport const x = Fastify;\n")).toContain(
      '@nx/enforce-module-boundaries',
    );
  });

  it('refuses a deep import into a library', async () => {
    expect(
      await ruleIds(
        'apps/control-plane/src/probe.ts',
        "import { encodePem } from '@portcullis/pki/src/pem.ts';\nexport const x = encodePem;\n",
      ),
    ).toContain('no-restricted-imports');
  });

  it('keeps test helpers out of production code but allows them in tests', async () => {
    const source = "import { startRedis } from '@portcullis/testing';\nexport const x = startRedis;\n";
    expect(await ruleIds('apps/control-plane/src/probe.ts', source)).toContain('@nx/enforce-module-boundaries');
    expect(await ruleIds('apps/control-plane/src/probe.spec.ts', source)).not.toContain('@nx/enforce-module-boundaries');
  });

  it('accepts what the design allows', async () => {
    expect(
      await ruleIds(
        'apps/edge-node/src/probe.ts',
        "import { createTrustStore } from '@portcullis/pki';\nexport const x = createTrustStore;\n",
      ),
    ).toEqual([]);
  });
});
