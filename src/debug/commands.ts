// Debug-console commands (everything that is not an expression): `help`,
// `translate ADDR`, `tlb`, `costs`, `history`, and keyboard input for the
// guest (`input TEXT` or `> TEXT`). Each returns the text to show.

import type { WalkView } from '../protocol/panelMessages';
import { formatValue } from './evaluate';
import { hexWord } from '../machine/format';
import { walkView } from './panel';
import { DebugRuntime } from './runtime';

export const COMMANDS = ['help', 'translate', 'tlb', 'costs', 'history', 'input'];

export const HELP_TEXT = [
  'hyperstep debug console',
  '  EXPR               evaluate: registers (r0-r15, sp, pc, flags, cr3, evt, ksp), flag bits (CF ZF SF OF IF),',
  '                     labels, numbers, C operators, memory: [sp+8] (word), byte [r2]',
  '  translate ADDR     walk ADDR through the guest page table, the hypervisor map, the shadow and the TLB',
  '  tlb                the TLB entries',
  '  costs              the cost counters of this run',
  '  history            step-back snapshots and their memory',
  '  input TEXT         type TEXT on the guest keyboard (\\n, \\t, \\\\, \\xNN escapes); also: > TEXT',
  '  help               this text',
].join('\n');

const WALK_STEP_NAMES: Record<WalkView['steps'][number]['table'], string> = {
  guest: 'guest page table',
  'hypervisor-map': 'hypervisor map',
  shadow: 'shadow',
  tlb: 'TLB',
};

/** Turns `\n`, `\t`, `\\` and `\xNN` in typed text into bytes. */
export function unescapeInput(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1];
      if (next === 'n') {
        bytes.push(10);
        i++;
        continue;
      }
      if (next === 't') {
        bytes.push(9);
        i++;
        continue;
      }
      if (next === 'r') {
        bytes.push(13);
        i++;
        continue;
      }
      if (next === '\\') {
        bytes.push(92);
        i++;
        continue;
      }
      if (next === 'x' && /^[0-9a-f]{2}$/i.test(text.slice(i + 2, i + 4))) {
        bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
        i += 3;
        continue;
      }
    }
    bytes.push(text.charCodeAt(i) & 0xff);
  }
  return Uint8Array.from(bytes);
}

/** Runs a console command; undefined when `text` is not one (then it is an expression). */
export function runConsoleCommand(runtime: DebugRuntime, g: number, text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('>')) return typeInput(runtime, g, trimmed.slice(1).replace(/^ /, ''));
  const [word, ...rest] = trimmed.split(/\s+/);
  const argument = trimmed.slice(word.length).trim();
  switch (word.toLowerCase()) {
    case 'help':
    case '?':
      return HELP_TEXT;
    case 'input':
      if (rest.length === 0) return 'input TEXT: type TEXT on the guest keyboard';
      return typeInput(runtime, g, text.trim().slice(word.length + 1));
    case 'translate': {
      if (!argument) return 'translate ADDR: ADDR is an expression, e.g. translate 0x00400000 or translate [sp]';
      const va = runtime.evaluate(g, argument);
      const walk = walkView(runtime, g, va);
      return [`${hexWord(va)} in guest ${runtime.target.name(g)}:`, ...walk.steps.map((s) => `  ${s.isOk ? '✓' : '✗'} ${WALK_STEP_NAMES[s.table]}: ${s.text}`)].join('\n');
    }
    case 'tlb': {
      const tlb = runtime.target.cpu.tlb;
      const rows: string[] = [`TLB: ${tlb.nEntries} entries, ${tlb.hits} hits, ${tlb.misses} misses`];
      for (let i = 0; i < tlb.nEntries; i++) {
        if (tlb.vpn[i] === -1) continue;
        const bits = tlb.bits[i];
        rows.push(
          `  [${String(i).padStart(2)}] ${hexWord(tlb.vpn[i] << 12)} -> ${hexWord(tlb.frame[i])} ${bits & 2 ? 'W' : '-'}${bits & 4 ? 'U' : '-'}${bits & 64 ? 'D' : '-'} age ${tlb.clock - tlb.lastUse[i]}`,
        );
      }
      if (rows.length === 1) rows.push('  (empty)');
      return rows.join('\n');
    }
    case 'costs': {
      const rows = runtime.system.costRows();
      const width = Math.max(...rows.map(([label]) => label.length));
      return [`costs (${runtime.setting})`, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
    }
    case 'history':
      return `run position ${runtime.position()}; ${runtime.snapshotCount} snapshot(s), ${(runtime.historyBytes() / 1024).toFixed(0)} KiB`;
    default:
      return undefined;
  }
}

function typeInput(runtime: DebugRuntime, g: number, text: string): string {
  const bytes = unescapeInput(text);
  runtime.typeInput(g, bytes);
  return `typed ${bytes.length} byte${bytes.length === 1 ? '' : 's'} on ${runtime.target.name(g)}'s keyboard`;
}

export { formatValue };
