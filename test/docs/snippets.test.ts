// The code in docs/machine.md cannot rot: every fenced ```g32 block assembles,
// and a block followed by a ```console block runs to "machine halted" printing
// exactly that, on bare hardware and under every virtualization setting (the
// snippets use no sensitive instruction, so every setting must agree).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assembleText, formatDiagnostic } from '../../src/asm';
import { VIRTUALIZATIONS, createSystem } from '../../src/hypervisor/system';
import { REPO_ROOT } from './markdownLinks';

interface Snippet {
  line: number;
  code: string;
  /** The console output the document promises, when a ```console block follows. */
  output: string | undefined;
}

/** The ```g32 blocks of a Markdown text, each with the ```console block right after it, if any. */
function g32Snippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const fence = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  const blocks = [...markdown.matchAll(fence)].map((match) => ({
    lang: match[1],
    body: match[2],
    start: match.index,
    end: match.index + match[0].length,
  }));
  blocks.forEach((block, index) => {
    if (block.lang !== 'g32') return;
    const next = blocks[index + 1];
    const isOutput = next !== undefined && next.lang === 'console' && markdown.slice(block.end, next.start).trim() === '';
    snippets.push({ line: markdown.slice(0, block.start).split('\n').length, code: block.body, output: isOutput ? next.body : undefined });
  });
  return snippets;
}

const DOCUMENT = 'docs/machine.md';

describe(`docs: the g32 snippets of ${DOCUMENT}`, () => {
  const markdown = fs.readFileSync(path.join(REPO_ROOT, DOCUMENT), 'utf8');
  const snippets = g32Snippets(markdown);

  it('has snippets, and runs the user-mode example', () => {
    assert.ok(snippets.length >= 2, `${snippets.length} snippets`);
    assert.ok(
      snippets.some((snippet) => snippet.output !== undefined && /\biret\b/.test(snippet.code) && /push 1\b/.test(snippet.code)),
      'the "entering user mode" kernel has its output',
    );
  });

  for (const snippet of snippets) {
    const name = `${DOCUMENT}:${snippet.line}`;
    it(`${name} assembles`, () => {
      const result = assembleText(snippet.code, name);
      assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
    });
    if (snippet.output === undefined) continue;
    for (const virtualization of VIRTUALIZATIONS) {
      it(`${name} prints what the document shows, under ${virtualization}`, () => {
        const image = assembleText(snippet.code, name).image!;
        const system = createSystem({ virtualization, guests: [{ name, image, inputs: [] }], maxInstructions: 100_000 });
        const result = system.run();
        assert.equal(result.reason, 'halted', result.detail);
        assert.equal(Buffer.from(system.guest(0).console).toString('latin1'), snippet.output);
      });
    }
  }

  it('a snippet that does not assemble is caught', () => {
    const [broken] = g32Snippets('```g32\n_start: mov r1\n```\n');
    assert.notDeepEqual(assembleText(broken.code).diagnostics, []);
  });
});
