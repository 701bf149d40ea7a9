#!/usr/bin/env node
// Adds up the vitest JSON reports that `pnpm test` left in every workspace package and prints the closing
// line CI reads: `N passed, N failed, N skipped`. Exits 1 when nothing ran or any test failed, so a run that
// executed nothing cannot pass unnoticed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'test']
  .map((d) => join(root, d))
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).map((name) => join(d, name)));
dirs.push(join(root, 'bench'));

let passed = 0;
let failed = 0;
let skipped = 0;
const perPackage = [];
for (const dir of dirs) {
  const file = join(dir, '.test-results.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const p = report.numPassedTests ?? 0;
  // Suites that failed to load count as failures: their tests never ran.
  const failedSuites = (report.testResults ?? []).filter(
    (r) => r.status === 'failed' && r.assertionResults?.length === 0,
  ).length;
  const f = (report.numFailedTests ?? 0) + failedSuites;
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  passed += p;
  failed += f;
  skipped += s;
  perPackage.push(`  ${dir.slice(root.length)}: ${p} passed, ${f} failed, ${s} skipped`);
}
console.log(perPackage.join('\n'));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(passed === 0 || failed > 0 ? 1 : 0);
