// The launch.json schema in package.json offers exactly the settings the
// adapter and the command line accept, with the same descriptions and memory
// limit, and package.json is what scripts/package-manifest.mjs writes from them.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KERNEL_SHADOWS, KERNEL_SHADOWS_TEXT, PAGING_SETTINGS, PAGING_TEXT, VIRTUALIZATION_TEXT, VIRTUALIZATIONS } from '../../src/hypervisor/settings';
import { MAX_MEMORY_BYTES } from '../../src/machine/memory';
import { MAX_TLB_ENTRIES } from '../../src/machine/tlb';

const ROOT = path.resolve(__dirname, '../../..');

interface Attribute {
  enum?: string[];
  enumDescriptions?: string[];
  maximum?: number;
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { debuggers: Array<{ configurationAttributes: { launch: { properties: Record<string, Attribute> } } }> };
};
const launch = manifest.contributes.debuggers[0].configurationAttributes.launch.properties;

describe('package.json launch schema', () => {
  const lists: Array<[string, readonly string[], Readonly<Record<string, { description: string }>>]> = [
    ['virtualization', VIRTUALIZATIONS, VIRTUALIZATION_TEXT],
    ['paging', PAGING_SETTINGS, PAGING_TEXT],
    ['kernelShadows', KERNEL_SHADOWS, KERNEL_SHADOWS_TEXT],
  ];
  for (const [attribute, names, text] of lists) {
    it(`offers the ${attribute} values of src/hypervisor/settings.ts, with their descriptions`, () => {
      assert.deepEqual(launch[attribute].enum, [...names]);
      assert.deepEqual(
        launch[attribute].enumDescriptions,
        names.map((name) => text[name].description),
      );
    });
  }

  it("limits memory to the simulated machine's RAM, and tlbEntries to what the TLB allows", () => {
    assert.equal(launch.memory.maximum, MAX_MEMORY_BYTES);
    assert.equal(launch.tlbEntries.maximum, MAX_TLB_ENTRIES);
  });

  it('is what scripts/package-manifest.mjs writes (edit the generator, not package.json)', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/package-manifest.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
  });
});
