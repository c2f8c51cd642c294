// Every relative link in the repository's documents reaches a file of the
// repository (and a heading of it, for `#fragment` links into Markdown), and no
// document points outside the repository: a student with only a clone can
// follow everything.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, SPEC_FILE_NAME, SPEC_FOLDER, anchorsOf, documentFiles, documentProblems, slugOf } from './markdownLinks';

describe('docs: links in the repository documents', () => {
  it('reads the README, the architecture, docs/, examples/ and the source READMEs', () => {
    const files = documentFiles(REPO_ROOT);
    for (const file of ['README.md', 'ARCHITECTURE.md', 'docs/machine.md', 'docs/isa.md', 'examples/README.md', 'examples/os/layout.g32', 'src/debug/README.md']) {
      assert.ok(files.includes(file), `${file} is checked (got ${files.join(', ')})`);
    }
  });

  it('every relative link resolves, and nothing points outside the repository', () => {
    assert.deepEqual(documentProblems(REPO_ROOT), []);
  });

  it('the README links to the machine reference', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    assert.match(readme, /\]\(docs\/machine\.md\)/);
  });
});

describe('docs: the link checker', () => {
  let root: string;
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-links-'));
    write('docs/target.md', '# Target\n\n## The `flags` register\n\n## Paging\n\n## Paging\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('accepts links to files and headings that exist, and ignores links in code', () => {
    write(
      'README.md',
      [
        '[t](docs/target.md) [f](docs/target.md#the-flags-register) [p2](docs/target.md#paging-1) [web](https://example.com)',
        '`[not a link](missing.md)`',
        '```',
        '[also not](missing.md)',
        '```',
        '[self](#readme)',
        '# Readme',
      ].join('\n'),
    );
    assert.deepEqual(documentProblems(root), []);
  });

  it('reports a planted broken link, a missing heading, an absolute path and a file: URI', () => {
    write('README.md', 'See [the spec](docs/spec.md).\n');
    write('docs/guide.md', '[a](target.md#no-such-heading)\n\n[b](/work/elsewhere/notes.md)\n\n[c](file:///tmp/x.md)\n\n[d](../../outside.md)\n');
    const problems = documentProblems(root);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems[0], /^README\.md:1: links to docs\/spec\.md, which does not exist/);
    assert.match(problems[1], /^docs\/guide\.md:1: links to #no-such-heading in docs\/target\.md/);
    assert.match(problems[2], /^docs\/guide\.md:3: links to the absolute path \/work\/elsewhere\/notes\.md/);
    assert.match(problems[3], /^docs\/guide\.md:5: links to a file: URI/);
    assert.match(problems[4], /^docs\/guide\.md:7: links to \.\.\/\.\.\/outside\.md, outside the repository/);
  });

  it('reports a document, or a guest source comment, that names the outside specification', () => {
    write('docs/notes.md', `As ${SPEC_FILE_NAME} says.\n`);
    write('examples/a.g32', `; see /work/${SPEC_FOLDER} for details\n_start: hlt\n`);
    const problems = documentProblems(root);
    assert.deepEqual(
      problems.map((problem) => problem.split(':').slice(0, 2).join(':')),
      ['docs/notes.md:1', 'examples/a.g32:1'],
    );
  });

  it('makes anchors as GitHub does', () => {
    assert.equal(slugOf('The `flags` register'), 'the-flags-register');
    assert.equal(slugOf('Assembly language: choices this build makes'), 'assembly-language-choices-this-build-makes');
    assert.equal(slugOf('hello.g32: the console'), 'hellog32-the-console');
    assert.deepEqual([...anchorsOf('# A\n## A\n```\n# Not\n```\n')], ['a', 'a-1']);
  });
});
