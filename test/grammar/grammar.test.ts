// Tests of the G32 TextMate grammar (syntaxes/g32.tmLanguage.json) and the language configuration.
//
// 1. The syntax tests in test/grammar/*.test.g32 are run with vscode-tmgrammar-test (as a child
//    process, like `npx vscode-tmgrammar-test` would).
// 2. The grammar is loaded with vscode-textmate and checked against the instruction table in
//    src/machine/isa.ts: every mnemonic (and alias) of every form is highlighted as an
//    instruction, with the privileged / sensitive scope exactly when isa.ts says so, and the
//    grammar knows no mnemonic, register or directive that isa.ts does not.
//
// Compiled to out/test/grammar/grammar.test.js; mocha runs it from the repository root.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIRECTIVES, INSTRUCTIONS, MNEMONIC_ALIASES, MNEMONICS, REGISTER_NAMES, type OpInfo, type OperandKind } from '../../src/machine/isa';

function repoRoot(): string {
  const fromCwd = process.cwd();
  if (fs.existsSync(path.join(fromCwd, 'syntaxes', 'g32.tmLanguage.json'))) return fromCwd;
  // Fallback when mocha is started elsewhere: out/test/grammar -> repository root.
  return path.resolve(__dirname, '..', '..', '..');
}

const ROOT = repoRoot();
const GRAMMAR_PATH = path.join(ROOT, 'syntaxes', 'g32.tmLanguage.json');
const TEST_DIR = path.join(ROOT, 'test', 'grammar');
const TOOL_DIR = path.join(ROOT, 'node_modules', 'vscode-tmgrammar-test');

const SCOPE = {
  ordinary: 'keyword.other.instruction.g32',
  control: 'keyword.control.instruction.g32',
  trap: 'keyword.other.instruction.trap.g32',
  privileged: 'keyword.other.instruction.privileged.g32',
  sensitive: 'keyword.other.instruction.sensitive.g32',
  register: 'variable.language.register.g32',
  specialRegister: 'variable.language.register.special.g32',
  privilegedRegister: 'variable.language.register.privileged.g32',
  sensitiveRegister: 'variable.language.register.sensitive.g32',
  directive: 'keyword.control.directive.g32',
  label: 'variable.other.label.g32',
} as const;
const ORDINARY_SCOPES: readonly string[] = [SCOPE.ordinary, SCOPE.control, SCOPE.trap];
const INSTRUCTION_SCOPES: readonly string[] = [...ORDINARY_SCOPES, SCOPE.privileged, SCOPE.sensitive];

// --- minimal typings of the parts of vscode-textmate / vscode-oniguruma used here -------------
interface Token {
  startIndex: number;
  endIndex: number;
  scopes: string[];
}
interface Grammar {
  tokenizeLine(line: string, prev: unknown): { tokens: Token[]; ruleStack: unknown };
}
interface TextMate {
  INITIAL: unknown;
  parseRawGrammar(content: string, filePath?: string): unknown;
  Registry: new (options: unknown) => { loadGrammar(scopeName: string): Promise<Grammar | null> };
}
interface Oniguruma {
  loadWASM(data: ArrayBuffer): Promise<void>;
  OnigScanner: new (patterns: string[]) => unknown;
  OnigString: new (s: string) => unknown;
}

/** vscode-textmate and vscode-oniguruma are dependencies of vscode-tmgrammar-test: resolve them from there. */
function requireFromTool<T>(name: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module found at run time, from the tool's folder
  return require(require.resolve(name, { paths: [TOOL_DIR, ROOT] })) as T;
}

async function loadGrammar(): Promise<Grammar> {
  const tm = requireFromTool<TextMate>('vscode-textmate');
  const onig = requireFromTool<Oniguruma>('vscode-oniguruma');
  const wasmPath = path.join(path.dirname(require.resolve('vscode-oniguruma', { paths: [TOOL_DIR, ROOT] })), 'onig.wasm');
  const wasm = fs.readFileSync(wasmPath);
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new tm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new onig.OnigScanner(patterns),
      createOnigString: (s: string) => new onig.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => (scopeName === 'source.g32' ? tm.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, 'utf8'), GRAMMAR_PATH) : null),
  });
  const grammar = await registry.loadGrammar('source.g32');
  assert.ok(grammar, 'the grammar source.g32 did not load');
  return grammar;
}

interface RawRule {
  name?: string;
  match?: string;
  begin?: string;
  captures?: Record<string, { name?: string }>;
  beginCaptures?: Record<string, { name?: string }>;
  patterns?: RawRule[];
  repository?: Record<string, RawRule>;
}

function readGrammarJson(): RawRule & { scopeName: string } {
  return JSON.parse(fs.readFileSync(GRAMMAR_PATH, 'utf8')) as RawRule & { scopeName: string };
}

/** Every rule of the grammar, nested ones included. */
function allRules(rule: RawRule): RawRule[] {
  const out: RawRule[] = [rule];
  for (const r of rule.patterns ?? []) out.push(...allRules(r));
  for (const r of Object.values(rule.repository ?? {})) out.push(...allRules(r));
  return out;
}

/** The scope names a rule gives its match (name, captures, beginCaptures). */
function namesOf(rule: RawRule): string[] {
  const names: string[] = [];
  if (rule.name) names.push(rule.name);
  for (const c of [rule.captures, rule.beginCaptures]) for (const v of Object.values(c ?? {})) if (v.name) names.push(v.name);
  return names;
}

/**
 * The words of the first `(?:a|b|c)` or `(a|b|c)` group of a regex (alternatives made only of
 * letters/digits): the mnemonic list of an instruction rule. Later groups are operand lookaheads.
 */
function listedWords(regex: string): string[] {
  const m = /\((?:\?:)?([A-Za-z0-9]+(?:\|[A-Za-z0-9]+)*)\)/.exec(regex);
  return m ? m[1].split('|') : [];
}

// --- building a source line for each instruction form -------------------------------------
function operandText(info: OpInfo, kind: OperandKind, index: number): string {
  switch (kind) {
    case 'ra':
      return index === 0 ? 'r1' : 'r3';
    case 'rb':
      return 'r2';
    case 'imm':
      return info.mnemonic.startsWith('j') || info.mnemonic === 'call' ? 'target' : '4';
    case 'mem':
      return info.mem === 'reg' ? '[r2]' : info.mem === 'disp' ? '[r2 + 8]' : '[0x100]';
    case 'cr3':
    case 'evt':
    case 'ksp':
      return kind;
  }
}

function lineFor(info: OpInfo, mnemonic: string, caseFn: (s: string) => string): { line: string; mnemonicAt: number } {
  const ops = info.operands.map((k, i) => caseFn(operandText(info, k, i))).join(', ');
  const prefix = '    ';
  return { line: `${prefix}${caseFn(mnemonic)}${ops ? ' ' + ops : ''}   ; comment`, mnemonicAt: prefix.length };
}

function tokenAt(grammar: Grammar, line: string, at: number): Token {
  const { tokens } = grammar.tokenizeLine(line, requireFromTool<TextMate>('vscode-textmate').INITIAL);
  const tok = tokens.find((t) => t.startIndex <= at && at < t.endIndex);
  assert.ok(tok, `no token at ${at} in ${JSON.stringify(line)}`);
  return tok;
}

function describeToken(line: string, tok: Token): string {
  return `${JSON.stringify(line.slice(tok.startIndex, tok.endIndex))} in ${JSON.stringify(line)} has scopes [${tok.scopes.join(' ')}]`;
}

const CASES: Array<[string, (s: string) => string]> = [
  ['lower case', (s) => s],
  ['upper case', (s) => s.toUpperCase()],
  ['mixed case', (s) => s.charAt(0).toUpperCase() + s.slice(1)],
];

describe('G32 TextMate grammar', function () {
  this.timeout(120_000);

  it('passes the syntax tests test/grammar/*.test.g32 (vscode-tmgrammar-test)', function () {
    const toolPkg = JSON.parse(fs.readFileSync(path.join(TOOL_DIR, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = path.join(TOOL_DIR, toolPkg.bin['vscode-tmgrammar-test']);
    const files = fs
      .readdirSync(TEST_DIR)
      .filter((f) => f.endsWith('.test.g32'))
      .sort()
      .map((f) => path.join('test', 'grammar', f));
    assert.ok(files.length > 0, 'no test/grammar/*.test.g32 files');
    // Note: the tool backtracks catastrophically on an assertion with more than one ` - `
    // (write `- a b`, not `- a - b`), hence the timeout.
    const res = spawnSync(process.execPath, [bin, '--compact', '-g', path.relative(ROOT, GRAMMAR_PATH), ...files], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 100_000,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
    if (res.status !== 0) console.log(output);
    assert.equal(res.error, undefined, `vscode-tmgrammar-test did not finish: ${res.error}\n${output}`);
    assert.equal(res.status, 0, `vscode-tmgrammar-test exited with ${res.status} (signal ${res.signal}):\n${output}`);
    for (const f of files) assert.ok(output.includes(path.basename(f)), `no result reported for ${f}:\n${output}`);
  });

  describe('agrees with src/machine/isa.ts', function () {
    let grammar: Grammar;
    before(async function () {
      grammar = await loadGrammar();
    });

    it('has scopeName source.g32', function () {
      assert.equal(readGrammarJson().scopeName, 'source.g32');
    });

    for (const [caseName, caseFn] of CASES) {
      it(`scopes every instruction form by its class (${caseName})`, function () {
        const problems: string[] = [];
        const aliasesOf = (m: string) =>
          Object.entries(MNEMONIC_ALIASES)
            .filter(([, t]) => t === m)
            .map(([a]) => a);
        for (const info of INSTRUCTIONS) {
          for (const mnemonic of [info.mnemonic, ...aliasesOf(info.mnemonic)]) {
            const { line, mnemonicAt } = lineFor(info, mnemonic, caseFn);
            const tok = tokenAt(grammar, line, mnemonicAt);
            const text = line.slice(tok.startIndex, tok.endIndex);
            if (tok.startIndex !== mnemonicAt || text.toLowerCase() !== mnemonic) {
              problems.push(`mnemonic not a single token: ${describeToken(line, tok)}`);
              continue;
            }
            const has = (s: string) => tok.scopes.includes(s);
            if (info.cls === 'privileged') {
              if (!has(SCOPE.privileged) || has(SCOPE.sensitive)) problems.push(`privileged, expected ${SCOPE.privileged}: ${describeToken(line, tok)}`);
            } else if (info.cls === 'sensitive') {
              if (!has(SCOPE.sensitive) || has(SCOPE.privileged)) problems.push(`sensitive, expected ${SCOPE.sensitive}: ${describeToken(line, tok)}`);
            } else {
              const allowed: string[] = info.endsBlock ? [SCOPE.control, SCOPE.trap] : [SCOPE.ordinary];
              const got = INSTRUCTION_SCOPES.filter(has);
              if (got.length !== 1 || !allowed.includes(got[0])) problems.push(`ordinary, expected one of ${allowed.join(', ')}: ${describeToken(line, tok)}`);
            }
            // The special register operand of a privileged/sensitive move carries that class too.
            info.operands.forEach((kind) => {
              if (kind !== 'cr3' && kind !== 'evt' && kind !== 'ksp') return;
              const at = line.toLowerCase().indexOf(kind, mnemonicAt + mnemonic.length);
              const reg = tokenAt(grammar, line, at);
              const want = info.cls === 'privileged' ? SCOPE.privilegedRegister : SCOPE.sensitiveRegister;
              if (!reg.scopes.includes(want) || !reg.scopes.includes(SCOPE.specialRegister)) {
                problems.push(`operand ${kind}: expected ${SCOPE.specialRegister} and ${want}: ${describeToken(line, reg)}`);
              }
            });
          }
        }
        assert.deepEqual(problems, []);
      });
    }

    it('lists exactly the mnemonics of isa.ts (INSTRUCTIONS + MNEMONIC_ALIASES), each in one class', function () {
      const expected = new Set(MNEMONICS.map((m) => m.toLowerCase()));
      const inGrammar = new Map<string, Set<string>>();
      for (const rule of allRules(readGrammarJson())) {
        const names = namesOf(rule).filter((n) => INSTRUCTION_SCOPES.includes(n));
        if (names.length === 0) continue;
        for (const w of listedWords(rule.match ?? rule.begin ?? '')) {
          const word = w.toLowerCase();
          if (!inGrammar.has(word)) inGrammar.set(word, new Set());
          for (const n of names) inGrammar.get(word)!.add(n);
        }
      }
      const missing = [...expected].filter((m) => !inGrammar.has(m)).sort();
      const extra = [...inGrammar.keys()].filter((m) => !expected.has(m)).sort();
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'grammar mnemonic lists differ from isa.ts');
      // Only `mov` may appear in more than one class (its special-register forms).
      const multi = [...inGrammar].filter(([m, s]) => s.size > 1 && m !== 'mov').map(([m, s]) => `${m}: ${[...s].join(', ')}`);
      assert.deepEqual(multi, []);
      // And the classes of the plain mnemonics agree with isa.ts.
      const classOf = (m: string) => new Set(INSTRUCTIONS.filter((i) => i.mnemonic === (MNEMONIC_ALIASES[m] ?? m)).map((i) => i.cls));
      for (const [m, scopes] of inGrammar) {
        if (m === 'mov') continue;
        const cls = classOf(m);
        const scope = [...scopes][0];
        if (cls.has('privileged')) assert.equal(scope, SCOPE.privileged, m);
        else if (cls.has('sensitive')) assert.equal(scope, SCOPE.sensitive, m);
        else assert.ok(ORDINARY_SCOPES.includes(scope), `${m}: ${scope}`);
      }
    });

    it('highlights no other word as an instruction', function () {
      for (const word of ['foo', 'movx', 'mov2', 'jmpz', 'popff', 'r1', '.mov', 'mov.x', 'hlt_', 'evt', '_start']) {
        const line = `    ${word} r1, r2`;
        const tok = tokenAt(grammar, line, 4);
        const got = INSTRUCTION_SCOPES.filter((s) => tok.scopes.includes(s));
        assert.deepEqual(got, [], describeToken(line, tok));
      }
      // mov with ordinary operands is ordinary
      for (const line of ['    mov r1, r2', '    mov r1, 5', '    mov r1, evt_base', '    mov cr3x, r1', '    mov r1, flags']) {
        const tok = tokenAt(grammar, line, 4);
        assert.deepEqual(
          INSTRUCTION_SCOPES.filter((s) => tok.scopes.includes(s)),
          [SCOPE.ordinary],
          describeToken(line, tok),
        );
      }
    });

    it('scopes every register of REGISTER_NAMES, in any case', function () {
      const general = new Set([...Array.from({ length: 16 }, (_, i) => `r${i}`), 'sp']);
      for (const reg of REGISTER_NAMES) {
        for (const [, caseFn] of CASES) {
          const line = `    push ${caseFn(reg)}`;
          const tok = tokenAt(grammar, line, 9);
          assert.equal(line.slice(tok.startIndex, tok.endIndex), caseFn(reg), describeToken(line, tok));
          assert.ok(tok.scopes.includes(general.has(reg) ? SCOPE.register : SCOPE.specialRegister), describeToken(line, tok));
        }
      }
      for (const notReg of ['r16', 'r1x', 'spx', 'cr4', 'flag', 'r1.a']) {
        const line = `    push ${notReg}`;
        const tok = tokenAt(grammar, line, 9);
        assert.ok(!tok.scopes.some((s) => s.startsWith('variable.language.register')), describeToken(line, tok));
      }
    });

    it('lists exactly the directives of DIRECTIVES', function () {
      for (const d of DIRECTIVES) {
        for (const [, caseFn] of CASES) {
          const line = `    ${caseFn(d)} 1`;
          const tok = tokenAt(grammar, line, 4);
          assert.equal(line.slice(tok.startIndex, tok.endIndex), caseFn(d), describeToken(line, tok));
          assert.ok(tok.scopes.includes(SCOPE.directive), describeToken(line, tok));
        }
      }
      const inGrammar = new Set<string>();
      for (const rule of allRules(readGrammarJson())) {
        if (!namesOf(rule).includes(SCOPE.directive)) continue;
        const re = `${rule.match ?? ''}\n${rule.begin ?? ''}`;
        for (const m of re.matchAll(/\\\.(?:\((?:\?:)?([a-z|]+)\)|([a-z]+))/g)) {
          for (const w of (m[1] ?? m[2]).split('|')) inGrammar.add(`.${w}`);
        }
      }
      assert.deepEqual([...inGrammar].sort(), [...DIRECTIVES].sort());
      const tok = tokenAt(grammar, '    .orgx 1', 4);
      assert.ok(!tok.scopes.includes(SCOPE.directive), describeToken('    .orgx 1', tok));
    });
  });

  describe('extension manifest', function () {
    it('package.json contributes the g32 language and grammar', function () {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
      const lang = (pkg.contributes?.languages ?? []).find((l: { id: string }) => l.id === 'g32');
      assert.ok(lang, 'contributes.languages has no g32');
      assert.deepEqual(lang.extensions, ['.g32']);
      assert.ok(fs.existsSync(path.join(ROOT, lang.configuration)), lang.configuration);
      const gr = (pkg.contributes?.grammars ?? []).find((g: { language: string }) => g.language === 'g32');
      assert.ok(gr, 'contributes.grammars has no g32');
      assert.equal(gr.scopeName, 'source.g32');
      assert.equal(path.resolve(ROOT, gr.path), GRAMMAR_PATH);
    });

    it('language-configuration.json: `;` comments, brackets, and words that keep a leading dot', function () {
      const conf = JSON.parse(fs.readFileSync(path.join(ROOT, 'language-configuration.json'), 'utf8'));
      assert.equal(conf.comments.lineComment, ';');
      assert.deepEqual(conf.brackets, [
        ['[', ']'],
        ['(', ')'],
      ]);
      const opens = conf.autoClosingPairs.map((p: { open: string }) => p.open).sort();
      assert.deepEqual(opens, ['"', "'", '(', '['].sort());
      const word = new RegExp(conf.wordPattern, 'g');
      const words = (s: string) => s.match(word) ?? [];
      assert.deepEqual(words('.loop: jmp .loop'), ['.loop', 'jmp', '.loop']);
      assert.deepEqual(words('    .equ SIZE, 0x1F + 0b10 * 3'), ['.equ', 'SIZE', '0x1F', '0b10', '3']);
      assert.deepEqual(words('ld r1, [main.loop_2+4]'), ['ld', 'r1', 'main.loop_2', '4']);
    });
  });
});
