// Scopes and variables for the session: registers, decoded flags, the guest's
// view of the CPU, the real CPU, cost counters, the guest page table, the trap
// frame of an interrupted frame and the hypervisor's trap. Reads the runtime;
// holds only the variablesReference handles of the current stop.

import { Handles, Scope } from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Vector, VECTOR_NAMES } from '../machine/isa';
import { describePageFaultError } from '../machine/pageFaultError';
import { pseudocodeLineNumber } from '../hypervisor/pseudocode';
import { EvalError, formatValue } from './evaluate';
import { hexWord } from '../machine/format';
import { flagsText, guestMappings } from './panel';
import { DebugRuntime, FrameInfo } from './runtime';

type Container =
  | { kind: 'registers'; g: number }
  | { kind: 'flags'; g: number }
  | { kind: 'guestCpu'; g: number }
  | { kind: 'realCpu' }
  | { kind: 'costs' }
  | { kind: 'pageTable'; g: number }
  | { kind: 'trapFrame'; g: number; frameSp: number; vector: number }
  | { kind: 'hypervisor' };

const FLAG_BITS: Array<[string, number, string]> = [
  ['CF', 0, 'carry'],
  ['ZF', 1, 'zero'],
  ['SF', 2, 'sign'],
  ['OF', 3, 'overflow'],
  ['IF', 9, 'interrupts enabled'],
];

/** Shown as the value of a memory reference: which address space it is in. */
export function memoryReference(space: 'gva' | 'gpa' | 'ma', address: number): string {
  return `${space}:${hexWord(address)}`;
}

export class Variables {
  private handles = new Handles<Container>();

  constructor(private readonly runtime: DebugRuntime) {}

  /** Handles are valid for one stop. */
  reset(): void {
    this.handles.reset();
  }

  /** True when `reference` names a container of the current stop. */
  has(reference: number): boolean {
    return this.handles.get(reference) !== undefined;
  }

  scopes(g: number, frame: FrameInfo): DebugProtocol.Scope[] {
    const hv = this.runtime.target.hv;
    const scopes: DebugProtocol.Scope[] = [];
    if (frame.kind === 'hypervisor') scopes.push(new Scope('Hypervisor trap', this.handles.create({ kind: 'hypervisor' }), false));
    if (frame.kind === 'handler' && frame.handler)
      scopes.push(new Scope('Trap frame', this.handles.create({ kind: 'trapFrame', g, frameSp: frame.handler.frameSp, vector: frame.handler.vector }), false));
    scopes.push(new Scope('Registers', this.handles.create({ kind: 'registers', g }), false));
    scopes.push(new Scope(hv ? 'Guest view of the CPU' : 'CPU', this.handles.create({ kind: 'guestCpu', g }), false));
    if (hv) scopes.push(new Scope('Real CPU', this.handles.create({ kind: 'realCpu' }), false));
    scopes.push(new Scope('Costs', this.handles.create({ kind: 'costs' }), true));
    const pageTable = new Scope('Page table', this.handles.create({ kind: 'pageTable', g }), true);
    scopes.push(pageTable);
    return scopes;
  }

  variables(reference: number): DebugProtocol.Variable[] {
    const container = this.handles.get(reference);
    if (!container) return [];
    const target = this.runtime.target;
    const word = (name: string, value: number, options: { isAddress?: boolean; evaluateName?: string } = {}): DebugProtocol.Variable => ({
      name,
      value: formatValue(value),
      variablesReference: 0,
      evaluateName: options.evaluateName,
      memoryReference: options.isAddress ? memoryReference('gva', value) : undefined,
    });
    const text = (name: string, value: string): DebugProtocol.Variable => ({ name, value, variablesReference: 0 });
    switch (container.kind) {
      case 'registers': {
        const g = container.g;
        const regs = target.regs(g);
        const out: DebugProtocol.Variable[] = [];
        for (let i = 0; i < 15; i++) out.push(word(`r${i}`, regs[i] >>> 0, { isAddress: true, evaluateName: `r${i}` }));
        out.push(word('sp', regs[15] >>> 0, { isAddress: true, evaluateName: 'sp' }));
        out.push(word('pc', target.pc(g), { isAddress: true, evaluateName: 'pc' }));
        const flags = target.flags(g);
        out.push({
          name: 'flags',
          value: `${hexWord(flags)} [${
            FLAG_BITS.filter(([, bit]) => flags & (1 << bit))
              .map(([n]) => n)
              .join(' ') || '-'
          }]`,
          evaluateName: 'flags',
          variablesReference: this.handles.create({ kind: 'flags', g }),
        });
        return out;
      }
      case 'flags': {
        const flags = target.flags(container.g);
        return FLAG_BITS.map(([name, bit, meaning]) => ({ name, value: String((flags >> bit) & 1), evaluateName: name, variablesReference: 0, type: meaning }));
      }
      case 'guestCpu': {
        const g = container.g;
        const isHv = target.hv !== undefined;
        return [
          text(isHv ? 'pretend mode' : 'mode', target.isUser(g) ? 'user' : 'kernel'),
          text(isHv ? 'virtual IF' : 'IF', target.virtualIF(g) ? '1 (interrupts enabled)' : '0 (interrupts disabled)'),
          word('cr3', target.cr3(g), { evaluateName: 'cr3' }),
          word('evt', target.evt(g), { isAddress: true, evaluateName: 'evt' }),
          word('ksp', target.ksp(g), { isAddress: true, evaluateName: 'ksp' }),
          text('ticks', String(target.ticks(g))),
          text('instructions retired', String(target.retired(g))),
          text('waiting in hlt', target.isHalted(g) ? 'yes' : 'no'),
        ];
      }
      case 'realCpu': {
        const cpu = target.cpu;
        return [
          text('mode', cpu.isUser ? 'user' : 'kernel'),
          { name: 'cr3', value: `${hexWord(cpu.cr3)} (machine address of the active shadow page table)`, variablesReference: 0 },
          word('flags', cpu.flags),
          word('evt', cpu.evt),
          text('current guest', target.name(target.currentGuest())),
        ];
      }
      case 'costs':
        return this.runtime.system.costRows().map(([label, value]) => text(label, String(value)));
      case 'pageTable': {
        const mappings = guestMappings(this.runtime, container.g);
        if (mappings.length === 0) return [text('paging', target.cr3(container.g) === 0 ? 'off (cr3 = 0): virtual = physical' : 'no present mapping')];
        return mappings.slice(0, 4096).map((m) => ({
          name: hexWord(m.va),
          value: `-> ${hexWord(m.pa)}  ${flagsText((m.pte & ~6) | (m.flags.w ? 2 : 0) | (m.flags.u ? 4 : 0))}`,
          variablesReference: 0,
          memoryReference: memoryReference('gva', m.va),
        }));
      }
      case 'trapFrame': {
        const g = container.g;
        const read = (offset: number) => target.readWord('gva', g, (container.frameSp + offset) >>> 0);
        const fields: Array<[string, number]> = [
          ['fault address', 0],
          ['error code', 4],
          ['saved pc', 8],
          ['saved flags', 12],
          ['saved mode', 16],
          ['saved sp', 20],
        ];
        return [
          word('frame at', container.frameSp, { isAddress: true }),
          ...fields.map(([name, offset]) => {
            const value = read(offset);
            if (value === undefined) return text(name, 'not mapped');
            if (name === 'saved mode') return text(name, value !== 0 ? '1 (user)' : '0 (kernel)');
            if (name === 'error code' && container.vector === Vector.PF) return text(name, `${hexWord(value)} (${describePageFaultError(value)})`);
            return word(name, value, { isAddress: name === 'saved pc' || name === 'saved sp' || name === 'fault address' });
          }),
        ];
      }
      case 'hypervisor': {
        const frame = this.runtime.hypervisorFrame;
        if (!frame) return [];
        const out = [
          text('what', frame.description),
          text('pseudocode line', `${pseudocodeLineNumber(frame.trace[frame.index])}: ${frame.trace[frame.index]} (${frame.index + 1} of ${frame.trace.length})`),
          text('path', frame.trace.join(' -> ')),
          word('guest pc', frame.trapPc, { isAddress: true }),
        ];
        if (frame.vector !== undefined) out.push(text('vector', `${frame.vector} ${VECTOR_NAMES[frame.vector] ?? ''}`.trim()));
        if (frame.errorCode !== undefined) out.push(word('error code', frame.errorCode));
        if (frame.errorCode !== undefined && frame.vector === Vector.PF) out.push(text('error code means', describePageFaultError(frame.errorCode)));
        if (frame.address !== undefined) out.push(word('fault address', frame.address, { isAddress: true }));
        return out;
      }
    }
  }

  /** Sets a register or a flag bit; returns its new shown value. */
  setVariable(reference: number, name: string, value: string, evaluate: (g: number, text: string) => number): { value: string; g: number } {
    const container = this.handles.get(reference);
    if (!container || (container.kind !== 'registers' && container.kind !== 'flags')) throw new EvalError(`'${name}' cannot be set here: only registers and flag bits can`);
    const g = container.g;
    const number = evaluate(g, value);
    this.runtime.setRegister(g, name, number);
    if (container.kind === 'flags') return { value: String(number ? 1 : 0), g };
    const target = this.runtime.target;
    if (name === 'flags') return { value: hexWord(target.flags(g)), g };
    return { value: formatValue(this.runtime.evaluate(g, name)), g };
  }
}

/**
 * Parses a memory reference: `gva:0x1000`, `gpa:0x1000`, `ma:0x1000`, or a plain
 * number (guest virtual). An optional `guestN:` prefix picks the guest.
 */
export function parseMemoryReference(reference: string): { space: 'gva' | 'gpa' | 'ma'; address: number; guest?: number } {
  const match = /^\s*(?:guest(\d+):)?(?:(gva|gpa|ma):)?\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(reference);
  if (!match) throw new EvalError(`memory reference '${reference}' must look like gva:0x1000, gpa:0x1000 or ma:0x1000`);
  const address = match[3].toLowerCase().startsWith('0x') ? parseInt(match[3].slice(2), 16) : Number(match[3]);
  return { space: (match[2]?.toLowerCase() ?? 'gva') as 'gva' | 'gpa' | 'ma', address: address >>> 0, guest: match[1] !== undefined ? Number(match[1]) : undefined };
}
