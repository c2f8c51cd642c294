import * as assert from 'node:assert';
import * as path from 'node:path';
import { DiagnosisRequest, InPlaceDiagnosis } from '../../src/lsp/diagnosis';
import { nodeSourceFiles } from '../../src/lsp/nodeSourceFiles';
import { WorkerDiagnosis } from '../../src/lsp/workerDiagnosis';

// The compiled server entry, which serves diagnoses when started as a worker thread.
const ENTRY = path.resolve(__dirname, '../../src/lsp/main.js');
const FOLDER = '/nonexistent-hyperstep-diagnosis-test';

const REQUEST: DiagnosisRequest = {
  documents: [
    { file: `${FOLDER}/main.g32`, version: 3, text: '_start:\n  call puts\n  hlt\n.include "lib.g32"\n' },
    { file: `${FOLDER}/lib.g32`, version: 5, text: 'puts:\n  mov r1, missing\n  ret\n' },
  ],
  diskGeneration: 0,
};

describe('diagnosis in a worker thread', () => {
  it('gives the same diagnostics and programs as on the server thread, and reuses its assemblies when nothing changed', async () => {
    const worker = new WorkerDiagnosis(ENTRY);
    try {
      const expected = await new InPlaceDiagnosis(nodeSourceFiles).diagnose(REQUEST);
      const first = await worker.diagnose(REQUEST);
      assert.deepStrictEqual(first, expected);
      assert.deepStrictEqual(
        first.byFile.map(([file, diagnostics]) => [file, diagnostics.length]),
        [
          [`${FOLDER}/main.g32`, 0],
          [`${FOLDER}/lib.g32`, 1],
        ],
      );
      assert.deepStrictEqual(
        first.programs.map(([file, program]) => [file, program.files.length]),
        [
          [`${FOLDER}/main.g32`, 2],
          [`${FOLDER}/lib.g32`, 2],
        ],
      );
      const again = await worker.diagnose(REQUEST);
      assert.strictEqual(again.assemblies, first.assemblies, 'nothing changed, so the worker reuses its assemblies');
      assert.deepStrictEqual(again.byFile, first.byFile);
    } finally {
      worker.dispose();
    }
  });
});
