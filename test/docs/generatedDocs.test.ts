// Figures the documents quote from the tool are generated (scripts/genDocs.ts,
// `npm run gen:docs`): these fail when a document disagrees with what the tool
// computes today, and show that a planted wrong number is caught.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { documentFiles, generateDocs, regenerate } from '../../scripts/genDocs';
import { figure } from '../../scripts/docFigures';

const ROOT = path.resolve(__dirname, '../../..');

describe('docs: figures generated from the tool', function () {
  this.timeout(180000);

  it('every marked figure in docs/ and examples/ agrees with the tool (fix: npm run gen:docs)', () => {
    const stale = generateDocs(true);
    assert.deepEqual(
      stale.map((s) => `${s.file}: ${s.spec}: says ${JSON.stringify(s.found)}, tool ${JSON.stringify(s.expected)}`),
      [],
    );
  });

  it("the documents that quote the tool's numbers mark them", () => {
    const marked = documentFiles()
      .filter((file) => fs.readFileSync(file, 'utf8').includes('<!-- gen:'))
      .map((file) => path.relative(ROOT, file))
      .sort();
    for (const doc of ['docs/hypervisor.md', 'docs/paravirtual.md']) assert.ok(marked.includes(doc), `${doc} has no generated figures`);
  });

  it('a planted wrong number is reported with what the tool gives', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/paravirtual.md'), 'utf8');
    const spec = 'stat os-pv paravirtual shadow-on-demand hypercalls';
    const right = figure(spec);
    const planted = doc.replace(`<!-- gen:${spec} -->${right}<!-- /gen -->`, `<!-- gen:${spec} -->${Number(right) + 1}<!-- /gen -->`);
    assert.notEqual(planted, doc, 'the figure is in docs/paravirtual.md');
    const result = regenerate(planted);
    assert.deepEqual(result.stale, [{ spec, found: String(Number(right) + 1), expected: right }]);
    assert.equal(result.text, doc);
  });

  it('an unknown figure is an error, not an empty string', () => {
    assert.throws(() => regenerate('<!-- gen:stat os none - no such row --><!-- /gen -->'), /no --stats row 'no such row'/);
    assert.throws(() => figure('estimated everything'), /unknown figure/);
  });
});
