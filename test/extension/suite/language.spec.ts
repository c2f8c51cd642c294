// Language features through the real language client and server: a broken
// line gets a diagnostic, and hover explains an instruction.

import { strict as assert } from 'assert';
import * as vscode from 'vscode';
import { activateExtension, showFile } from './workbench';

function diagnosticsOf(uri: vscode.Uri, predicate: (d: vscode.Diagnostic[]) => boolean, timeoutMs = 30000): Promise<vscode.Diagnostic[]> {
  return new Promise((done, fail) => {
    const check = (): boolean => {
      const current = vscode.languages.getDiagnostics(uri);
      if (!predicate(current)) return false;
      clearTimeout(timer);
      subscription.dispose();
      done(current);
      return true;
    };
    const timer = setTimeout(() => {
      subscription.dispose();
      fail(new Error(`no such diagnostics for ${uri.toString()}; have ${JSON.stringify(vscode.languages.getDiagnostics(uri))}`));
    }, timeoutMs);
    const subscription = vscode.languages.onDidChangeDiagnostics(() => {
      check();
    });
    check();
  });
}

describe('language features', () => {
  before(activateExtension);

  it('reports a broken line as an error on that line', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'g32', content: '        mov r1, 5\n        frobnicate r1\n        hlt\n' });
    await vscode.window.showTextDocument(document);
    const diagnostics = await diagnosticsOf(document.uri, (d) => d.some((x) => x.severity === vscode.DiagnosticSeverity.Error));
    const error = diagnostics.find((d) => d.severity === vscode.DiagnosticSeverity.Error)!;
    assert.equal(error.range.start.line, 1, 'the error is on the line with the unknown mnemonic');
    assert.match(error.message, /frobnicate/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('answers hover on an instruction with what it does', async () => {
    const editor = await showFile('hello.g32');
    const line = editor.document
      .getText()
      .split('\n')
      .findIndex((text) => /^\s+hlt\b/.test(text));
    assert.ok(line >= 0, 'hello.g32 has a hlt line');
    const column = editor.document.lineAt(line).text.indexOf('hlt') + 1;
    const deadline = Date.now() + 30000;
    let text = '';
    while (!/hlt/i.test(text) && Date.now() < deadline) {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, column));
      text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      if (!text) await new Promise((done) => setTimeout(done, 200)); // the server may still be starting
    }
    assert.match(text, /hlt/i);
    assert.match(text, /privileged|halt/i);
  });
});
