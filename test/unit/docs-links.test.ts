// Every relative link in the READMEs (test/README.md too), CONTRIBUTING.md, the changelog and
// docs/*.md points to a file that exists and, when it names an anchor, to a heading of that file
// (GitHub's rule for heading anchors).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../harness/server-process';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file, with GitHub's -1, -2 suffixes for repeated headings. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutCode(text).split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

function withoutCode(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

const docs = readdirSync(join(REPO_ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => join('docs', name));
const files = ['README.md', 'README.ko.md', 'CHANGELOG.md', 'CONTRIBUTING.md', 'test/README.md', ...docs];

describe('links in the docs', () => {
  for (const file of files) {
    it(`${file}: every relative link resolves`, () => {
      const text = withoutCode(readFileSync(join(REPO_ROOT, file), 'utf8'));
      const broken: string[] = [];
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] ?? '';
        if (/^[a-z]+:/i.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? join(REPO_ROOT, file) : join(REPO_ROOT, dirname(file), path);
        if (!existsSync(resolved)) {
          broken.push(`${target} (no file ${relative(REPO_ROOT, resolved)})`);
          continue;
        }
        if (anchor === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory()) continue;
        if (!anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor)))
          broken.push(`${target} (no heading for #${anchor})`);
      }
      assert.deepEqual(broken, [], `broken links in ${file}`);
    });
  }

  it('the anchor rule matches GitHub on headings of these docs', () => {
    assert.equal(slug("When it doesn't connect"), 'when-it-doesnt-connect');
    assert.equal(
      slug('Memory across failovers: `--single-threaded --max-opt=2`'),
      'memory-across-failovers---single-threaded---max-opt2',
    );
    assert.equal(slug('In-process use (entry-offline)'), 'in-process-use-entry-offline');
    assert.equal(slug('연결이 안 될 때 (선생님께)'), '연결이-안-될-때-선생님께');
  });
});
