import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Runs the benchmarks named on the command line (`npm run bench -- pki waf`), or all of
 * them: every folder of tools/bench with a main.ts. Each one writes its own section of
 * docs/benchmarks.md. Exits non-zero if any benchmark failed.
 */
const benchDir = import.meta.dirname;
const all = readdirSync(benchDir).filter((d) => existsSync(path.join(benchDir, d, 'main.ts')));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n=== bench ${name} ===`);
  const run = spawnSync(process.execPath, [path.join(benchDir, name, 'main.ts')], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
