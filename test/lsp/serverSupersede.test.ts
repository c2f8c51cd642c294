// A diagnosis that an edit overtakes is never published: the server here gets
// a diagnosis service that answers only when the test says, so the edit can be
// made to arrive exactly while a diagnosis is being made.

import * as assert from 'node:assert';
import { PassThrough } from 'node:stream';
import {
  CancellationTokenSource,
  DidChangeTextDocumentNotification,
  HoverRequest,
  LSPErrorCodes,
  ResponseError,
  DidOpenTextDocumentNotification,
  InitializeRequest,
  MessageConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-languageserver-protocol/node';
import { Connection, createConnection, StreamMessageReader as ServerReader, StreamMessageWriter as ServerWriter } from 'vscode-languageserver/node';
import { Diagnosis, DiagnosisRequest, DiagnosisService, Diagnostician } from '../../src/lsp/diagnosis';
import { CANCEL_QUEUED_REQUESTS } from '../../src/lsp/main';
import { nodeSourceFiles } from '../../src/lsp/nodeSourceFiles';
import { G32LanguageServer, SERVER_STATS_REQUEST } from '../../src/lsp/server';
import { FakeClock } from './fakeClock';

/** Makes real diagnoses, each handed over only when `release` is called. */
class GatedDiagnosis implements DiagnosisService {
  readonly requests: DiagnosisRequest[] = [];
  private readonly gates: Array<() => void> = [];
  private readonly diagnostician = new Diagnostician(nodeSourceFiles);

  diagnose(request: DiagnosisRequest): Promise<Diagnosis> {
    this.requests.push(request);
    return new Promise((resolve) => this.gates.push(() => resolve(this.diagnostician.diagnose(request))));
  }

  release(index: number): void {
    this.gates[index]();
  }

  dispose(): void {}
}

describe('language server: superseded diagnoses', () => {
  const clock = new FakeClock();
  const diagnosis = new GatedDiagnosis();
  const published: PublishDiagnosticsParams[] = [];
  let client: MessageConnection;
  let serverConnection: Connection;
  const settled = (): Promise<unknown> => client.sendRequest(SERVER_STATS_REQUEST);

  before(async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    serverConnection = createConnection(new ServerReader(toServer), new ServerWriter(toClient), CANCEL_QUEUED_REQUESTS);
    new G32LanguageServer(serverConnection, { files: nodeSourceFiles, clock, diagnosis }).listen();
    client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    client.onNotification(PublishDiagnosticsNotification.type, (params) => void published.push(params));
    client.listen();
    await client.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, workspaceFolders: null, capabilities: {} });
  });

  after(() => {
    client.dispose();
    serverConnection.dispose();
  });

  it('drops a diagnosis overtaken by an edit and publishes the one of the latest version', async () => {
    const uri = 'file:///nonexistent-hyperstep-supersede/main.g32';
    const textFor = (target: string): string => `_start:\n  jmp ${target}\n`;
    await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'g32', version: 1, text: textFor('first') } });
    await settled();
    clock.fire();
    await settled();
    diagnosis.release(0);
    await settled();
    assert.deepStrictEqual(
      published.map((params) => params.version),
      [1],
    );

    // A diagnosis of version 2 starts; version 3 arrives while it is being made.
    await client.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ text: textFor('second') }] });
    await settled();
    clock.fire();
    await settled();
    assert.strictEqual(diagnosis.requests.length, 2);
    assert.strictEqual(diagnosis.requests[1].documents[0].version, 2);
    await client.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 3 }, contentChanges: [{ text: textFor('third') }] });
    await settled();
    diagnosis.release(1);
    await settled();
    assert.deepStrictEqual(
      published.map((params) => params.version),
      [1],
      'the diagnosis of version 2 is not published',
    );

    clock.fire();
    await settled();
    assert.strictEqual(diagnosis.requests.length, 3);
    assert.strictEqual(diagnosis.requests[2].documents[0].version, 3);
    diagnosis.release(2);
    await settled();
    assert.deepStrictEqual(
      published.map((params) => params.version),
      [1, 3],
    );
    assert.match(String(published[1].diagnostics[0].message), /'third'/);
  });

  it('answers a request cancelled before it was handled with "cancelled", without working on it', async () => {
    const uri = 'file:///nonexistent-hyperstep-supersede/cancel.g32';
    await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'g32', version: 1, text: '_start:\n  cli\n' } });
    await settled();
    const source = new CancellationTokenSource();
    const answer = client.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 3 } }, source.token);
    // The cancellation follows the request before the server has had a turn to handle it.
    source.cancel();
    await assert.rejects(answer, (error: unknown) => error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled);
    const handled = await client.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 3 } });
    assert.ok(handled !== null, 'the same request, not cancelled, is answered');
  });
});
