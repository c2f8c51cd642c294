// `npm run bench:lsp`: how fast the language server answers while the user
// types, driving the real server (`out/src/lsp/main.js --stdio`) the way an
// editor does, on generated programs of 20,000 lines and of 10 MB. Timings
// are wall clock on this machine from sending a request to its answer (which
// includes the edits still queued before it); memory is the server process's
// resident set from /proc. Nothing here is asserted (tests never time).

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  MessageConnection,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  RequestType0,
  createMessageConnection,
} from 'vscode-languageserver-protocol/node';

const SERVER = path.resolve(__dirname, '../src/lsp/main.js');

/** A valid program of about `lines` lines: functions with a local loop, a call to the next one and a constant each. */
export function generatedProgram(lines: number): string {
  const functions = Math.max(1, Math.floor((lines - 6) / 11));
  const out: string[] = ['.equ CONSOLE, 0xFFFF0000', '_start:', '        mov sp, 0x80000', '        call f0', '        hlt', ''];
  for (let i = 0; i < functions; i++) {
    out.push(
      `.equ K${i}, ${i}`,
      `f${i}:                   ; function ${i}`,
      `        mov r1, K${i}`,
      '.loop:',
      '        add r2, r1',
      '        sub r1, 1',
      '        jnz .loop',
      i + 1 < functions ? `        call f${i + 1}` : '        nop',
      '        ld r3, [r2 + 4]',
      '        st [CONSOLE], r3',
      '        ret',
    );
  }
  return out.join('\n') + '\n';
}

/** Line (0-based) of `call f<i+1>` inside function i of `generatedProgram`. */
function callLine(i: number): number {
  return 6 + i * 11 + 7;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Resident set now and at its peak (VmRSS, VmHWM), in MB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function memoryText(pid: number): string {
  const { rss, peak } = memoryOf(pid);
  return `server RSS ${rss.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`;
}

/** The server's own counters (`hyperstep/serverStats`); servers without it say so. */
const SERVER_STATS = new RequestType0<{ assemblies: number; diagnosticsRuns: number }, void>('hyperstep/serverStats');

async function statsText(session: Session): Promise<string> {
  try {
    const stats = await session.connection.sendRequest(SERVER_STATS);
    return `programs assembled ${stats.assemblies}, diagnostics runs ${stats.diagnosticsRuns}`;
  } catch {
    return 'server has no hyperstep/serverStats request';
  }
}

class Session {
  private version = 1;
  private readonly published: Array<{ uri: string; at: number; version?: number }> = [];
  private waiters: Array<() => void> = [];

  private constructor(
    readonly child: ChildProcess,
    readonly connection: MessageConnection,
  ) {
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.published.push({ uri: params.uri, at: performance.now(), version: params.version });
      for (const wake of this.waiters) wake();
      this.waiters = [];
    });
  }

  static async start(): Promise<Session> {
    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const session = new Session(child, connection);
    connection.listen();
    await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: null,
      capabilities: { textDocument: { hover: { contentFormat: ['markdown'] }, completion: { completionItem: { documentationFormat: ['markdown'] } } } },
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return session;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async open(uri: string, text: string): Promise<void> {
    this.version = 1;
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'g32', version: 1, text } });
  }

  async insert(uri: string, line: number, character: number, text: string): Promise<void> {
    this.version++;
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: this.version },
      contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text }],
    });
  }

  /** Waits for diagnostics for `uri` published after `since` (performance.now()); undefined after `timeoutMs`. */
  async diagnosticsAfter(uri: string, since: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.published.find((entry) => entry.uri === uri && entry.at >= since);
      if (found) return found.at;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async hover(uri: string, line: number, character: number): Promise<{ ms: number; isAnswered: boolean }> {
    const start = performance.now();
    const hover = await this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
    return { ms: performance.now() - start, isAnswered: hover !== null };
  }

  async complete(uri: string, line: number, character: number): Promise<{ ms: number; items: number; isIncomplete: boolean }> {
    const start = performance.now();
    const answer = await this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } });
    const elapsed = performance.now() - start;
    if (!answer) return { ms: elapsed, items: 0, isIncomplete: false };
    if (Array.isArray(answer)) return { ms: elapsed, items: answer.length, isIncomplete: false };
    return { ms: elapsed, items: answer.items.length, isIncomplete: answer.isIncomplete };
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    await exited;
    this.connection.dispose();
  }
}

async function bench20k(out: (line: string) => void, folder: string): Promise<void> {
  const file = path.join(folder, 'big20k.g32');
  const text = generatedProgram(20_000);
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const lineCount = text.split('\n').length - 1;
  out(`## 20,000-line file (${lineCount} lines, ${(text.length / 1e6).toFixed(1)} MB)`);
  const session = await Session.start();
  try {
    const opened = performance.now();
    await session.open(uri, text);
    const first = await session.diagnosticsAfter(uri, opened, 120_000);
    out(`first diagnostics after open:     ${first === undefined ? 'none within 120 s' : ms(first - opened)}`);

    // Hover right after an edit (a line inserted near the top shifts every address), then a pause.
    const hoverTimes: number[] = [];
    let inserted = 0;
    for (let round = 0; round < 20; round++) {
      await session.insert(uri, 8, 0, '        add r4, 1\n');
      inserted++;
      const target = 900 + round;
      const hover = await session.hover(uri, callLine(target) + inserted, 14);
      if (!hover.isAnswered) throw new Error('hover on a label use gave nothing');
      hoverTimes.push(hover.ms);
      await sleep(300);
    }
    out(`hover after an edit (20 rounds):   p50 ${ms(percentile(hoverTimes, 0.5))}, p95 ${ms(percentile(hoverTimes, 0.95))}, max ${ms(Math.max(...hoverTimes))}`);

    // 1,000 quick edits (typing into a comment), then one hover.
    const typedLine = 3;
    const afterBurst: number[] = [];
    for (let burst = 0; burst < 3; burst++) {
      await session.insert(uri, typedLine, 0, ';\n');
      for (let key = 0; key < 1000; key++) await session.insert(uri, typedLine, 1 + key, String.fromCharCode(97 + (key % 26)));
      inserted++;
      const hover = await session.hover(uri, callLine(1200) + inserted, 14);
      if (!hover.isAnswered) throw new Error('hover on a label use gave nothing');
      afterBurst.push(hover.ms);
      await sleep(500);
    }
    out(`hover after 1,000 quick edits:     ${afterBurst.map(ms).join(', ')}`);

    // Typing `call f1234` on a new line at 20 keys a second, one completion per key.
    const completionTimes: number[] = [];
    let items = 0;
    const pending: Array<Promise<void>> = [];
    for (let round = 0; round < 10; round++) {
      const line = 10 + round;
      await session.insert(uri, line, 0, '\n');
      const typed = '        call f1234';
      for (let index = 0; index < typed.length; index++) {
        await session.insert(uri, line, index, typed[index]);
        if (index >= 13) {
          pending.push(
            session.complete(uri, line, index + 1).then((answer) => {
              completionTimes.push(answer.ms);
              items = Math.max(items, answer.items);
            }),
          );
        }
        await sleep(50);
      }
    }
    await Promise.all(pending);
    out(
      `completion per keystroke (${completionTimes.length}, 50 ms apart): p50 ${ms(percentile(completionTimes, 0.5))}, p95 ${ms(percentile(completionTimes, 0.95))}, max ${ms(Math.max(...completionTimes))}, up to ${items} items`,
    );
    await sleep(500);
    out(memoryText(session.pid));
    out(await statsText(session));
  } finally {
    await session.stop();
  }
}

async function bench10MB(out: (line: string) => void, folder: string): Promise<void> {
  const file = path.join(folder, 'big10mb.g32');
  let lines = 20_000;
  let text = generatedProgram(lines);
  while (text.length < 10e6) {
    lines = Math.ceil((lines * 10e6) / text.length) + 11;
    text = generatedProgram(lines);
  }
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  out('');
  out(`## 10 MB file (${text.split('\n').length - 1} lines, ${(text.length / 1e6).toFixed(1)} MB)`);
  const session = await Session.start();
  try {
    const opened = performance.now();
    await session.open(uri, text);
    const first = await session.diagnosticsAfter(uri, opened, 300_000);
    out(`first diagnostics after open:     ${first === undefined ? 'none within 300 s' : ms(first - opened)}`);
    // An operand with nothing typed yet, then with `f12` typed.
    await session.insert(uri, 4, 0, '        call \n');
    const empty = await session.complete(uri, 4, 13);
    out(`completion, empty operand:         ${ms(empty.ms)}, ${empty.items} items${empty.isIncomplete ? ' (incomplete)' : ''}`);
    await session.insert(uri, 4, 13, 'f12');
    const prefixed = await session.complete(uri, 4, 16);
    out(`completion after 'f12':            ${ms(prefixed.ms)}, ${prefixed.items} items${prefixed.isIncomplete ? ' (incomplete)' : ''}`);
    // Then `call f4242` typed on 5 new lines, a completion per key, 100 ms apart.
    const typedTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      const line = 5 + round;
      await session.insert(uri, line, 0, '\n');
      const typed = '        call f4242';
      for (let index = 0; index < typed.length; index++) {
        await session.insert(uri, line, index, typed[index]);
        if (index >= 13) typedTimes.push((await session.complete(uri, line, index + 1)).ms);
        await sleep(100);
      }
    }
    out(`completion per keystroke (${typedTimes.length}):     p50 ${ms(percentile(typedTimes, 0.5))}, p95 ${ms(percentile(typedTimes, 0.95))}, max ${ms(Math.max(...typedTimes))}`);
    const hover = await session.hover(uri, callLine(5000) + 6, 14);
    out(`hover after those edits:           ${ms(hover.ms)}`);
    out(memoryText(session.pid));
    out(await statsText(session));
  } finally {
    await session.stop();
  }
}

export async function main(): Promise<void> {
  const out = (line: string): void => void process.stdout.write(line + '\n');
  out('hyperstep language-server bench (wall clock on this machine, real server over stdio)\n');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-bench-lsp-'));
  try {
    const only = process.argv[2];
    if (only !== '10mb') await bench20k(out, folder);
    if (only !== '20k') await bench10MB(out, folder);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

if (require.main === module)
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  });
