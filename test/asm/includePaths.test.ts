// Include paths without Node: the assembler's own forward-slash rules must name
// the same files Node's path module would on a POSIX system.

import * as assert from 'assert';
import * as path from 'path';
import { assemble, slashIncludePaths } from '../../src/asm';

describe('assembler: forward-slash include paths', () => {
  const cases: Array<[string, string]> = [
    ['/labs/01/guest.g32', 'lib.g32'],
    ['/labs/01/guest.g32', '../common/./lib.g32'],
    ['/labs/01/guest.g32', '../../../../etc/lib.g32'],
    ['/guest.g32', 'lib.g32'],
    ['guest.g32', 'lib.g32'],
    ['src/guest.g32', '../../lib.g32'],
    ['src/guest.g32', '/abs/lib.g32'],
    ['a//b/guest.g32', 'c/../d.g32'],
  ];
  for (const [from, include] of cases) {
    it(`"${include}" from ${from} names the file Node's posix path does`, () => {
      const expected = path.posix.isAbsolute(include) ? include : path.posix.join(path.posix.dirname(from), include);
      assert.strictEqual(slashIncludePaths.resolve(from, include), expected);
      assert.strictEqual(slashIncludePaths.normalize(`${from}/../x/./y`), path.posix.normalize(`${from}/../x/./y`));
    });
  }

  it('finds an include cycle written with different spellings of the same file', () => {
    const files: Record<string, string> = {
      'os/main.g32': '.include "lib/a.g32"\nhlt\n',
      'os/lib/a.g32': '.include "../lib/./b.g32"\n',
      'os/lib/b.g32': '.include "../../os/lib/a.g32"\n',
    };
    const result = assemble('os/main.g32', { readFile: (file) => files[file] });
    assert.ok(
      result.diagnostics.some((d) => d.message.includes('include cycle')),
      JSON.stringify(result.diagnostics),
    );
  });
});
