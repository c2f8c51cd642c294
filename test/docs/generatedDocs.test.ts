// Figures the documents quote from the tool are generated (scripts/genDocs.ts,
// `npm run gen:docs`): these fail when a document (docs/, examples/, labs/,
// and the comments of their .g32 files) disagrees with what the tool computes
// today, and show that a planted wrong number is caught.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { documentFiles, generateDocs, regenerate } from '../../scripts/genDocs';
import { figure } from '../../scripts/docFigures';
import { withoutMarks } from '../../scripts/pvPatch';

const ROOT = path.resolve(__dirname, '../../..');

describe('docs: figures generated from the tool', function () {
  this.timeout(180000);

  it('every marked figure in the documents, the labs and the .g32 comments agrees with the tool (fix: npm run gen:docs)', () => {
    const stale = generateDocs(true);
    assert.deepEqual(
      stale.map((s) => `${s.file}: ${s.spec}: says ${JSON.stringify(s.found)}, tool ${JSON.stringify(s.expected)}`),
      [],
    );
  });

  it("the documents that quote the tool's numbers mark them, labs and example sources included", () => {
    const marked = documentFiles()
      .filter((file) => fs.readFileSync(file, 'utf8').includes('<!-- gen:'))
      .map((file) => path.relative(ROOT, file).split(path.sep).join('/'))
      .sort();
    const quoting = [
      'docs/hypervisor.md',
      'docs/paravirtual.md',
      'docs/page-table-switches.md',
      'examples/README.md',
      'examples/os/kernel.g32',
      'examples/os-pv/kernel.g32',
      'labs/README.md',
      'labs/05-shadow-proactive/README.md',
    ];
    for (const doc of quoting) assert.ok(marked.includes(doc), `${doc} has no generated figures`);
  });

  /** The document with the figure SPEC planted one too high; regenerating must report it and restore the text. */
  function plantedIn(file: string, spec: string): void {
    const doc = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const right = figure(spec);
    const wrong = String(Number(right.replace(/,/g, '')) + 1);
    const planted = doc.split(`<!-- gen:${spec} -->${right}<!-- /gen -->`).join(`<!-- gen:${spec} -->${wrong}<!-- /gen -->`);
    assert.notEqual(planted, doc, `the figure ${spec} is in ${file}`);
    const result = regenerate(planted, figure, file.endsWith('.g32'));
    assert.deepEqual(result.stale[0], { spec, found: wrong, expected: right });
    assert.equal(result.text, doc);
  }

  it('a planted wrong number is reported with what the tool gives', () => {
    plantedIn('docs/paravirtual.md', 'stat os-pv paravirtual shadow-on-demand hypercalls');
  });

  it("a planted wrong tick, input window or boot count in docs/paravirtual.md's prose is reported", () => {
    plantedIn('docs/paravirtual.md', 'read-tick-extra os-pv paravirtual');
    plantedIn('docs/paravirtual.md', 'input-window os-pv paravirtual last');
    plantedIn('docs/paravirtual.md', 'pv-boot writes');
  });

  it("a planted wrong number in a lab's README or in a kernel's comment is reported", () => {
    plantedIn('labs/05-shadow-proactive/README.md', 'lab-answer 04-shadow-on-demand hidden_total');
    plantedIn('examples/os/kernel.g32', 'switch-tick os none');
  });

  it('the os-pv patch the document shows is the diff of the two trees, without figure marks', () => {
    const patch = figure('pv-patch');
    assert.match(patch, /^\n```diff\ndiff -ru examples\/os\/console\.g32 examples\/os-pv\/console\.g32\n/);
    assert.ok(patch.includes(`+; and calls \`read\` at tick ${figure('read-tick os-pv none')} (`), "the figures of the kernels' comments appear as values");
    assert.doesNotMatch(patch, /<!--/);
  });

  it('a figure in a .g32 file spans comment lines only (the assembler must not see it)', () => {
    // A Markdown code block would put lines the assembler reads into the program.
    assert.throws(() => regenerate('; <!-- gen:cli run examples/hello.g32 --><!-- /gen -->\n', figure, true), /may span comment lines only/);
    // Marks that enclose code (a closing mark lost further down) are refused, not rewritten over the code.
    assert.throws(() => regenerate('; <!-- gen:read-tick os none -->1\n        hlt\n; <!-- /gen -->\n', figure, true), /may span comment lines only/);
    assert.equal(regenerate('; at tick <!-- gen:read-tick os none -->0<!-- /gen -->\n', figure, true).text, `; at tick <!-- gen:read-tick os none -->${figure('read-tick os none')}<!-- /gen -->\n`);
  });

  it("an example's header shows the output of its run, as comment lines, and a wrong line is caught", () => {
    const file = 'examples/popf.g32';
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const spec = 'cli-comment 10 run examples/popf.g32';
    const output = figure(spec);
    assert.ok(source.includes(`; <!-- gen:${spec} -->${output}<!-- /gen -->`), 'the bare-hardware output is generated in the header');
    assert.ok(output.includes('\n;          tick 3\n'), output);
    const planted = source.replace(';          tick 3\n', ';          tick 4\n');
    assert.notEqual(planted, source);
    const result = regenerate(planted, figure, true);
    assert.deepEqual(
      result.stale.map((s) => s.spec),
      [spec],
    );
    assert.equal(result.text, source);
  });

  it('the pv patch shows a header figure as its reader sees it: marks alone on a comment line go with the line', () => {
    assert.equal(
      withoutMarks('; Output:\n; <!-- gen:cli-comment 3 run x.g32 -->\n;   hello\n; <!-- /gen -->\n; at tick <!-- gen:read-tick os none -->7<!-- /gen -->.\n'),
      '; Output:\n;   hello\n; at tick 7.\n',
    );
  });

  it('an unknown figure is an error, not an empty string', () => {
    assert.throws(() => regenerate('<!-- gen:stat os none - no such row --><!-- /gen -->'), /no --stats row 'no such row'/);
    assert.throws(() => figure('estimated everything'), /unknown figure/);
    assert.throws(() => figure('pv-boot everything'), /unknown figure/);
    assert.throws(() => figure('lab-answer 04-shadow-on-demand no_such_key'), /no question no_such_key/);
  });
});
