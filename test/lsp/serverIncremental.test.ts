// The server in this process, over in-memory streams, with a fake clock for
// the quiet period before diagnostics: many quick edits, hovers and
// completions assemble nothing, the one assembly after the pause gives the
// diagnostics of the final text, and no publication is ever older than the
// edits the server has already taken in.

import * as assert from 'node:assert';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CompletionItem,
  CompletionList,
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  Hover,
  HoverRequest,
  InitializeRequest,
  MarkupContent,
  MessageConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-languageserver-protocol/node';
import { Connection, createConnection, StreamMessageReader as ServerReader, StreamMessageWriter as ServerWriter } from 'vscode-languageserver/node';
import { assembleText } from '../../src/asm';
import { MAX_COMPLETION_ITEMS } from '../../src/lsp/features/completion';
import { diagnosticsForFile } from '../../src/lsp/features/diagnostics';
import { CANCEL_QUEUED_REQUESTS } from '../../src/lsp/main';
import { nodeSourceFiles } from '../../src/lsp/nodeSourceFiles';
import { G32LanguageServer, SERVER_STATS_REQUEST } from '../../src/lsp/server';
import { FakeClock } from './fakeClock';

// A folder that does not exist: nothing is read from disk.
const FOLDER = '/nonexistent-hyperstep-lsp-test';

/** `functions` small functions, each with a local loop, a call to the next and a constant. */
function program(functions: number): string {
  const lines = ['_start:', '  call f0', '  hlt'];
  for (let i = 0; i < functions; i++) {
    lines.push(`.equ K${i}, ${i}`, `f${i}:`, `  mov r1, K${i}`, '.loop:', '  sub r1, 1', '  jnz .loop', i + 1 < functions ? `  call f${i + 1}` : '  nop', '  ret');
  }
  return lines.join('\n') + '\n';
}

class Client {
  readonly published: PublishDiagnosticsParams[] = [];
  private waiters: Array<{ matches: (params: PublishDiagnosticsParams) => boolean; resolve: () => void }> = [];

  constructor(readonly connection: MessageConnection) {
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.published.push(params);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.matches(params)) return true;
        waiter.resolve();
        return false;
      });
    });
  }

  waitFor(matches: (params: PublishDiagnosticsParams) => boolean): Promise<void> {
    if (this.published.some(matches)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ matches, resolve }));
  }

  /** A request answered after every message sent before it was handled. */
  stats(): Promise<{ assemblies: number; diagnosticsRuns: number }> {
    return this.connection.sendRequest(SERVER_STATS_REQUEST);
  }
}

describe('language server: incremental analysis and debounced diagnostics', () => {
  const clock = new FakeClock();
  let client: Client;
  let server: G32LanguageServer;
  let serverConnection: Connection;

  before(async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    serverConnection = createConnection(new ServerReader(toServer), new ServerWriter(toClient), CANCEL_QUEUED_REQUESTS);
    server = new G32LanguageServer(serverConnection, { files: nodeSourceFiles, debounceMs: 150, clock });
    server.listen();
    const connection = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    client = new Client(connection);
    connection.listen();
    await connection.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, workspaceFolders: null, capabilities: { textDocument: { hover: { contentFormat: ['markdown'] } } } });
  });

  after(() => {
    client.connection.dispose();
    serverConnection.dispose();
  });

  it('after many quick edits with hovers and completions in between, assembles once and publishes the diagnostics of a full assembly of the final text', async () => {
    let round = 0;
    // An edit: where (line, column, how many lines to replace) and what to type, one character at a time or at once.
    const edit = fc.record({
      line: fc.nat(),
      column: fc.nat({ max: 12 }),
      span: fc.nat({ max: 2 }),
      text: fc.constantFrom('  frob r1\n', '  jmp nowhere\n', '  mov r1, K3\n', 'g:\n', '.loop:\n', '', 'x', ':', '\n', '  call f2\n', '.equ K1, 5\n'),
      isTyped: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 20, maxLength: 60 }), async (edits) => {
        round++;
        const file = `${FOLDER}/edits${round}.g32`;
        const uri = `file://${file}`;
        const reference = TextDocument.create(uri, 'g32', 1, program(30));
        await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'g32', version: 1, text: reference.getText() } });
        await client.stats();
        clock.fire();
        await client.waitFor((params) => params.uri === uri && params.version === 1);
        const before = await client.stats();
        const publishedBefore = client.published.length;

        let version = 1;
        let changes = 0;
        for (const { line, column, span, text, isTyped } of edits) {
          const start = { line: line % reference.lineCount, character: column };
          const end = { line: Math.min(reference.lineCount - 1, start.line + span), character: span === 0 ? column : 0 };
          const pieces = isTyped && text.length > 0 ? [...text] : [text];
          let at = start;
          let to = end;
          for (const piece of pieces) {
            version++;
            const change = { range: { start: at, end: to }, text: piece };
            await client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [change] });
            changes++;
            TextDocument.update(reference, [change], version);
            // Typing continues after what was just typed.
            const offset = reference.offsetAt(at) + piece.length;
            at = reference.positionAt(offset);
            to = at;
          }
          void client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: start.line, character: 5 } });
          void client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: start.line, character: 4 } });
          void client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
        }
        const during = await client.stats();
        assert.ok(changes >= 20);
        assert.strictEqual(during.assemblies, before.assemblies, 'edits, hovers, completions and outlines assemble nothing');
        assert.strictEqual(client.published.length, publishedBefore, 'nothing is published while edits keep coming');

        // The stats request above was answered after every edit was handled, so the quiet-period timer is set.
        clock.fire();
        await client.waitFor((params) => params.uri === uri && params.version === version);
        const after = await client.stats();
        assert.strictEqual(after.assemblies, before.assemblies + 1, 'one assembly after the pause');
        assert.strictEqual(after.diagnosticsRuns, before.diagnosticsRuns + 1);
        const published = client.published.slice(publishedBefore).filter((params) => params.uri === uri);
        assert.deepStrictEqual(
          published.map((params) => params.version),
          [version],
          'one publication, for the latest version',
        );
        const expected = diagnosticsForFile(assembleText(reference.getText(), file), file);
        assert.deepStrictEqual(published[0].diagnostics, expected);

        await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
        await client.stats();
        clock.fire();
        await client.waitFor((params) => params.uri === uri && params.diagnostics.length === 0 && params.version === undefined);
      }),
      { numRuns: 6 },
    );
  });

  it('never publishes diagnostics older than an edit it has taken in', async () => {
    const file = `${FOLDER}/stale.g32`;
    const other = `${FOLDER}/other.g32`;
    const uri = `file://${file}`;
    // A second open document makes a diagnostics run take two steps, with requests and edits handled in between.
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: `file://${other}`, languageId: 'g32', version: 1, text: program(200) } });
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'g32', version: 1, text: '_start:\n  jmp nowhere\n' } });
    await client.stats();
    clock.fire();
    await client.waitFor((params) => params.uri === uri && params.version === 1);
    let version = 1;
    for (let attempt = 0; attempt < 20; attempt++) {
      // A run starts now (after a last edit), and edits arrive while it works.
      version++;
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text: `_start:\n  jmp nowhere${version}\n` }] });
      await client.stats();
      clock.fire();
      for (let key = 0; key < 3; key++) {
        version++;
        const text = `_start:\n  jmp nowhere${version}\n`;
        void client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
      }
      const seen = client.published.length;
      await client.stats();
      // Everything the server sends from here on was sent after it took in `version`.
      const from = client.published.length;
      clock.fire();
      await client.waitFor((params) => params.uri === uri && params.version === version);
      const later = client.published.slice(from).filter((params) => params.uri === uri);
      assert.ok(
        later.every((params) => params.version === version),
        `versions published after taking in ${version}: ${later.map((params) => params.version).join(',')}`,
      );
      const latest = later[later.length - 1];
      assert.strictEqual(latest.diagnostics.length, 1);
      assert.match(String(latest.diagnostics[0].message), new RegExp(`nowhere${version}'`));
      assert.ok(client.published.slice(seen).every((params) => params.uri !== uri || (params.version !== undefined && params.version >= version - 4)));
    }
  });

  it('answers completion with at most the cap, filtered by what is typed and marked incomplete, and hover without an assembly', async () => {
    const file = `${FOLDER}/big.g32`;
    const uri = `file://${file}`;
    const text = program(600);
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'g32', version: 1, text } });
    await client.stats();
    clock.fire();
    await client.waitFor((params) => params.uri === uri && params.version === 1);
    // A new line `  call f12` typed at the top.
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '  call \n' }],
    });
    const before = await client.stats();
    const empty = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 2, character: 7 } })) as CompletionList;
    assert.strictEqual(empty.isIncomplete, true);
    assert.strictEqual(empty.items.length, MAX_COMPLETION_ITEMS);
    assert.ok(
      empty.items.some((item) => item.label === 'r1'),
      'registers are offered',
    );
    for (let length = 1; length <= 3; length++) {
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: 2 + length },
        contentChanges: [{ range: { start: { line: 2, character: 6 + length }, end: { line: 2, character: 6 + length } }, text: 'f12'[length - 1] }],
      });
    }
    const typed = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 2, character: 10 } })) as CompletionList;
    assert.strictEqual(typed.isIncomplete, true);
    const labels = typed.items.map((item) => item.label).sort();
    assert.deepStrictEqual(labels, ['f12', ...Array.from({ length: 10 }, (_, digit) => `f12${digit}`)].sort());
    assert.match(typed.items.find((item) => item.label === 'f12')!.detail!, /^label at 0x/);
    const head = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 1, character: 2 } })) as CompletionItem[];
    assert.ok(Array.isArray(head) && head.some((item) => item.label === 'mov'), 'mnemonics come whole, as a plain list');
    // Hover on `f12` on the typed line: the definition's place is current (one line lower than in the last assembly).
    const hover = (await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2, character: 8 } })) as Hover;
    const value = (hover.contents as MarkupContent).value;
    assert.match(value, /label at `0x[0-9a-f]{8}`/);
    const definedAt = 3 + 12 * 8 + 2 + 1;
    assert.match(value, new RegExp(`big\\.g32:${definedAt}\\]`));
    assert.strictEqual((await client.stats()).assemblies, before.assemblies, 'completion and hover assembled nothing');
  });
});
