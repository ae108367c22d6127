// The layout of src/ as a rule (docs/ARCHITECTURE.md "Folders"): a peer never loads the host's
// machinery (only election/start-role.ts does, after the port is bound), and imports between
// folders point one way (no two folders import each other, directly or round a loop); around src/,
// harness/ and bench/ drive the program without reaching into test/, and src/ reaches none of them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';

const REPO = resolve(__dirname, '../..');
const SRC = join(REPO, 'src');

interface Import {
  from: string; // src-relative, '/' separated
  to: string;
  typeOnly: boolean; // erased by the compiler: loads nothing at run time
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function srcRelative(path: string): string {
  return relative(SRC, path).split(sep).join('/');
}

function resolveLocal(fromFile: string, specifier: string, known: Set<string>): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

const STATEMENT = /^(import|export)\b([^;]*?)\bfrom\s+'(\.[^']*)'/gms;
const INLINE = /\b(typeof\s+import|import|require)\s*\(\s*'(\.[^']*)'\s*\)/g;

/** Whether `import type {…}`, `import { type A, type B }` or `export type …`: erased by the compiler. */
function erased(clause: string): boolean {
  const head = clause.trim();
  if (head.startsWith('type ') || head.startsWith('type{')) return true;
  const braces = /^\{([^}]*)\}$/s.exec(head);
  if (!braces) return false;
  const names = (braces[1] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  return names.length > 0 && names.every((name) => name.startsWith('type '));
}

/** Every import of a file in src/ by another: statements at the start of a line, `import(…)`,
 * `typeof import(…)` and `require(…)` outside comment lines. */
function collectImports(): { files: string[]; imports: Import[] } {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const imports: Import[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const add = (specifier: string, typeOnly: boolean) => {
      const target = resolveLocal(file, specifier, known);
      if (target) imports.push({ from: srcRelative(file), to: srcRelative(target), typeOnly });
    };
    for (const match of text.matchAll(STATEMENT)) add(match[3] ?? '', erased(match[2] ?? ''));
    const code = text
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
      .join('\n');
    for (const match of code.matchAll(INLINE))
      add(match[2] ?? '', match[1] !== 'import' && match[1] !== 'require');
  }
  return { files: files.map(srcRelative), imports };
}

/** The part of the tree a file belongs to: its top folder under src/, or the file itself at the top. */
function partOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash);
}

/** Groups of parts that import each other round a loop (Tarjan's strongly connected components). */
function loopsBetweenParts(imports: Import[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const a = partOf(from);
    const b = partOf(to);
    if (!edges.has(a)) edges.set(a, new Set());
    if (!edges.has(b)) edges.set(b, new Set());
    if (a !== b) edges.get(a)?.add(b);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const strongConnect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        strongConnect(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) loops.push(group.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) strongConnect(node);
  return loops;
}

/** Every file loaded at run time from `roots`, not following `skip`'s imports. */
function runtimeClosure(imports: Import[], roots: string[], skip: (edge: Import) => boolean): Set<string> {
  const seen = new Set(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const edge of imports) {
      if (edge.from !== file || edge.typeOnly || skip(edge) || seen.has(edge.to)) continue;
      seen.add(edge.to);
      queue.push(edge.to);
    }
  }
  return seen;
}

const STARTER = 'election/start-role.ts';
const isHost = (file: string) => file.startsWith('host/');

describe('source layout', () => {
  const { files, imports } = collectImports();

  it('finds the imports it checks (the parser reads this tree)', () => {
    assert.ok(files.length > 50, `only ${files.length} files under src/`);
    assert.ok(imports.length > 100, `only ${imports.length} imports found`);
    assert.ok(
      imports.some((edge) => edge.from === STARTER && edge.to === 'host/host-role.ts' && !edge.typeOnly),
      'the starter loads host/host-role.ts at run time',
    );
  });

  it('no folder imports, round a loop, a folder that imports it', () => {
    assert.deepEqual(loopsBetweenParts(imports), []);
  });

  it('the peer side never imports host/, not even its types', () => {
    const offending = imports.filter((edge) => edge.from.startsWith('peer/') && isHost(edge.to));
    assert.deepEqual(offending, []);
  });

  it('outside host/, only the starter loads host/ at run time', () => {
    const offending = imports.filter(
      (edge) => !edge.typeOnly && !isHost(edge.from) && isHost(edge.to) && edge.from !== STARTER,
    );
    assert.deepEqual(offending, []);
  });

  it('a peer (the package entry and the program, short of the starter) loads nothing from host/', () => {
    const loaded = runtimeClosure(
      imports,
      ['index.ts', 'main.ts'],
      (edge) => edge.from === STARTER && isHost(edge.to),
    );
    assert.ok(loaded.has('peer/peer-role.ts'), 'the peer role is part of what a peer loads');
    assert.deepEqual([...loaded].filter(isHost), []);
  });

  it('the rules see a violation when one is there', () => {
    const planted: Import[] = [
      ...imports,
      { from: 'host/host-hub.ts', to: 'server/entry-server.ts', typeOnly: true },
      { from: 'peer/peer-link.ts', to: 'host/host-hub.ts', typeOnly: false },
    ];
    assert.ok(loopsBetweenParts(planted).some((group) => group.includes('host') && group.includes('server')));
    const loaded = runtimeClosure(planted, ['index.ts'], (edge) => edge.from === STARTER && isHost(edge.to));
    assert.ok(loaded.has('host/host-hub.ts'));
  });
});

/** The relative specifiers a file imports or requires (statements, `import(…)`, `require(…)`). */
function relativeSpecifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\bfrom\s+'(\.[^']*)'/g)) found.push(match[1] ?? '');
  for (const match of text.matchAll(/\b(?:import|require)\s*\(\s*'(\.[^']*)'\s*\)/g))
    found.push(match[1] ?? '');
  return found;
}

/** Files of a top folder (`.ts`, `.cjs`, `.mjs`) that import something under one of `forbidden`. */
function reachesInto(
  folder: string,
  forbidden: readonly string[],
  read = (path: string) => readFileSync(path, 'utf8'),
): string[] {
  const offending: string[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path);
      return /\.(ts|cjs|mjs)$/.test(entry.name) ? [path] : [];
    });
  for (const file of walk(join(REPO, folder))) {
    for (const specifier of relativeSpecifiers(read(file))) {
      const target = relative(REPO, resolve(dirname(file), specifier))
        .split(sep)
        .join('/');
      if (forbidden.some((root) => target === root || target.startsWith(`${root}/`)))
        offending.push(`${relative(REPO, file)} → ${target}`);
    }
  }
  return offending;
}

describe('around src/: what drives the program and what tests it', () => {
  it('harness/ and bench/ import nothing from test/', () => {
    assert.deepEqual(reachesInto('harness', ['test']), []);
    assert.deepEqual(reachesInto('bench', ['test']), []);
  });

  it('src/ imports nothing from harness/, bench/ or test/', () => {
    assert.deepEqual(reachesInto('src', ['harness', 'bench', 'test']), []);
  });

  it('sees an import into test/ when one is there', () => {
    const planted = (path: string) =>
      path.endsWith(join('harness', 'util.ts')) ? "import { x } from '../test/helpers/fixtures';\n" : '';
    assert.deepEqual(reachesInto('harness', ['test'], planted), ['harness/util.ts → test/helpers/fixtures']);
  });
});
