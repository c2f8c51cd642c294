// Smoke test of the real server over stdio: spawns `out/src/lsp/main.js
// --stdio` and talks LSP to it with vscode-jsonrpc, waiting on notifications
// (never on time). The files exist only as open documents, so `.include`
// resolving at all shows that open editors' text is read before the disk.

import * as assert from 'node:assert';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CompletionItem,
  CompletionRequest,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  Hover,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  Location,
  MarkupContent,
  MessageConnection,
  PrepareRenameRequest,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  RenameRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkspaceEdit,
  createMessageConnection,
} from 'vscode-languageserver-protocol/node';

const SERVER = path.resolve(__dirname, '../../src/lsp/main.js');
// A folder that does not exist: every file must come from the open documents.
const FOLDER = path.join(os.tmpdir(), `hyperstep-lsp-test-${process.pid}-not-on-disk`);
const MAIN_URI = pathToFileURL(path.join(FOLDER, 'main.g32')).href;
const LIB_URI = pathToFileURL(path.join(FOLDER, 'lib.g32')).href;

const MAIN_TEXT = ['_start:', '  cli', '  call puts', '  mov r1, missing', '  hlt', '.include "lib.g32"', ''].join('\n');
const MAIN_FIXED = MAIN_TEXT.replace('missing', 'puts');
const LIB_TEXT = ['puts:', '  ld r0, [r1 +]', '  ret', ''].join('\n');
const LINE_CLI = 1;
const LINE_CALL = 2;
const LINE_MISSING = 3;

/** Collects diagnostics notifications and lets a test wait for one that matches. */
class DiagnosticsWaiter {
  private readonly latest = new Map<string, PublishDiagnosticsParams>();
  private waiters: Array<{ matches: (params: PublishDiagnosticsParams) => boolean; resolve: (params: PublishDiagnosticsParams) => void }> = [];

  constructor(connection: MessageConnection) {
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.latest.set(params.uri, params);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.matches(params)) return true;
        waiter.resolve(params);
        return false;
      });
    });
  }

  /** Resolves with the first (already received or future) diagnostics for `uri` that satisfy `matches`. */
  waitFor(uri: string, matches: (params: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> {
    const known = this.latest.get(uri);
    if (known && matches(known)) return Promise.resolve(known);
    return new Promise((resolve) => this.waiters.push({ matches: (params) => params.uri === uri && matches(params), resolve }));
  }
}

describe('language server over stdio', () => {
  let child: ChildProcess;
  let connection: MessageConnection;
  let diagnostics: DiagnosticsWaiter;
  let stderr = '';

  before(async () => {
    child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    diagnostics = new DiagnosticsWaiter(connection);
    connection.listen();
    const initialized = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: null,
      capabilities: {
        textDocument: {
          hover: { contentFormat: ['markdown', 'plaintext'] },
          completion: { completionItem: { documentationFormat: ['markdown'] } },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          rename: { prepareSupport: true },
        },
      },
    });
    assert.deepStrictEqual(initialized.capabilities.renameProvider, { prepareProvider: true });
    await connection.sendNotification(InitializedNotification.type, {});
  });

  after(async () => {
    if (!connection || !child) return;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    const code = await exited;
    connection.dispose();
    assert.strictEqual(code, 0, `server exit code, stderr: ${stderr}`);
  });

  it('publishes diagnostics per file for a file and the file it includes', async () => {
    const mainDiagnostics = diagnostics.waitFor(MAIN_URI, (params) => params.diagnostics.length > 0);
    const libDiagnostics = diagnostics.waitFor(LIB_URI, (params) => params.diagnostics.length > 0);
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: MAIN_URI, languageId: 'g32', version: 1, text: MAIN_TEXT } });
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: LIB_URI, languageId: 'g32', version: 1, text: LIB_TEXT } });
    const [main, lib] = await Promise.all([mainDiagnostics, libDiagnostics]);
    assert.strictEqual(main.diagnostics.length, 1);
    assert.match(String(main.diagnostics[0].message), /missing/);
    assert.strictEqual(main.diagnostics[0].range.start.line, LINE_MISSING);
    assert.strictEqual(lib.diagnostics.length, 1);
    assert.strictEqual(lib.diagnostics[0].range.start.line, 1);
  });

  it('answers hover on a privileged instruction', async () => {
    const hover = (await connection.sendRequest(HoverRequest.type, { textDocument: { uri: MAIN_URI }, position: { line: LINE_CLI, character: 3 } })) as Hover;
    const value = (hover.contents as MarkupContent).value;
    assert.match(value, /privileged/);
    assert.match(value, /trap-and-emulate/);
    // The server finds the docs beside itself and links to them as file: URIs at the heading's line.
    const link = /\[docs\/machine\.md: Privileged instructions\]\((file:[^)#]+)#L(\d+)\)/.exec(value);
    assert.ok(link, value);
    assert.strictEqual(fileURLToPath(link[1]), path.resolve(__dirname, '../../../docs/machine.md'));
  });

  it('completes mnemonics and labels', async () => {
    const atHead = (await connection.sendRequest(CompletionRequest.type, { textDocument: { uri: MAIN_URI }, position: { line: 4, character: 2 } })) as CompletionItem[];
    assert.ok(atHead.some((item) => item.label === 'cli' && /privileged/.test(item.detail ?? '')));
    const inOperand = (await connection.sendRequest(CompletionRequest.type, { textDocument: { uri: MAIN_URI }, position: { line: LINE_CALL, character: 7 } })) as CompletionItem[];
    assert.ok(inOperand.some((item) => item.label === 'puts'));
  });

  it('goes to a definition in the included file', async () => {
    const locations = (await connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: MAIN_URI }, position: { line: LINE_CALL, character: 8 } })) as Location[];
    assert.deepStrictEqual(locations, [{ uri: LIB_URI, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } } }]);
  });

  it('refuses to rename a register and renames a label across files', async () => {
    await assert.rejects(connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: MAIN_URI }, position: { line: LINE_MISSING, character: 7 } }), /'r1' is a register/);
    await assert.rejects(connection.sendRequest(RenameRequest.type, { textDocument: { uri: MAIN_URI }, position: { line: LINE_CALL, character: 8 }, newName: 'sti' }), /reserved/);
    const edit = (await connection.sendRequest(RenameRequest.type, { textDocument: { uri: MAIN_URI }, position: { line: LINE_CALL, character: 8 }, newName: 'print' })) as WorkspaceEdit;
    assert.deepStrictEqual(Object.keys(edit.changes ?? {}).sort(), [LIB_URI, MAIN_URI].sort());
    assert.strictEqual(edit.changes![MAIN_URI][0].newText, 'print');
  });

  it('clears diagnostics once the error is fixed', async () => {
    const cleared = diagnostics.waitFor(MAIN_URI, (params) => params.diagnostics.length === 0);
    await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: MAIN_URI, version: 2 }, contentChanges: [{ text: MAIN_FIXED }] });
    await cleared;
  });
});

describe('hyperstep-lsp command line', () => {
  it('prints usage and fails without a transport', () => {
    const run = spawnSync(process.execPath, [SERVER], { encoding: 'utf8' });
    assert.strictEqual(run.status, 64);
    assert.match(run.stderr, /usage: hyperstep-lsp --stdio/);
  });
});
