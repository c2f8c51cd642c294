// A panel's revealSource message opens only a file and line that the adapter's
// snapshot showed; forged paths and lines that are not whole numbers open nothing.

import * as assert from 'node:assert';
import type { PanelSnapshot } from '../../src/protocol/panelMessages';
import { revealableLine } from '../../src/extension/panels/revealSource';

const SNAPSHOT = { timeline: [{ source: { path: '/w/os/kernel.g32', line: 12 } }, { source: undefined }] } as unknown as PanelSnapshot;

describe('extension: revealSource', () => {
  it('opens a line the snapshot showed (0-based for the editor)', () => {
    assert.strictEqual(revealableLine(SNAPSHOT, '/w/os/kernel.g32', 12), 11);
  });

  it('refuses other files, other lines, NaN and non-numbers, and anything without a snapshot', () => {
    assert.strictEqual(revealableLine(SNAPSHOT, '/etc/passwd', 12), undefined);
    assert.strictEqual(revealableLine(SNAPSHOT, '/w/os/kernel.g32', 13), undefined);
    assert.strictEqual(revealableLine(SNAPSHOT, '/w/os/kernel.g32', NaN), undefined);
    assert.strictEqual(revealableLine(SNAPSHOT, '/w/os/kernel.g32', '12'), undefined);
    assert.strictEqual(revealableLine(SNAPSHOT, '/w/os/kernel.g32', 0), undefined);
    assert.strictEqual(revealableLine(undefined, '/w/os/kernel.g32', 12), undefined);
  });
});
