// docs/isa.md's opcode table is generated from isa.ts; this fails when the
// table is stale (fix with `node scripts/gen-isa-doc.mjs`).

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INSTRUCTIONS } from '../../src/machine/isa';

const ROOT = path.resolve(__dirname, '../../..');

describe('asm: docs/isa.md', () => {
  it('has the opcode table of isa.ts', () => {
    assert.doesNotThrow(() => execFileSync(process.execPath, [path.join(ROOT, 'scripts/gen-isa-doc.mjs'), '--check'], { stdio: 'pipe' }));
  });

  it('lists every opcode once and ends with the Execution placeholder heading', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/isa.md'), 'utf8');
    for (const info of INSTRUCTIONS) {
      const opcode = `| 0x${info.op.toString(16).padStart(2, '0')} |`;
      assert.equal(doc.split(opcode).length - 1, 1, `${opcode} ${info.mnemonic}`);
    }
    assert.match(doc, /^## Execution$/m);
  });
});
