// The debugger's "what will happen" (the event a stop before handling shows)
// and what the hypervisor's handler then does come from one classifyTrap():
// for every trap of real guests under every setting, the description asked
// for before the trap is handled names what the handler's own trace and events
// show it did. And an interrupt held for the debugger, then let go, is
// delivered exactly as one that was not held.

import * as assert from 'assert';
import { CostCounters } from '../../src/hypervisor/costs';
import { HypervisorEvent, HypervisorEventKind } from '../../src/hypervisor/events';
import { classifyPageFault, classifyTrap, PageFaultClass, TrapClass } from '../../src/hypervisor/classifyTrap';
import type { Hypervisor } from '../../src/hypervisor/hypervisor';
import { PseudocodeLine } from '../../src/hypervisor/pseudocode';
import { createSystem, SETTING_CHOICES } from '../../src/hypervisor/system';
import { Vector } from '../../src/machine/isa';
import { Image } from '../../src/asm';
import { pageFaultPvSource, portIoSource, pteWritePvSource, pteWriteSource, syscallSource } from '../../scripts/microGuests';
import { imageOfFile, imageOfText, input, Setting, settingLabel } from './setup';
import { TimedInput } from '../../src/machine/devices/keyboard';

interface Guest {
  name: string;
  image: Image;
  inputs?: TimedInput[];
  onlyUnder?: Setting['virtualization'];
}

/** A user program that runs a privileged instruction: the guest's own #GP. */
const USER_CLI = `
_start:
    mov sp, 0x8000
    mov r1, vectors
    mov r2, handler
    mov r3, 64
fill:
    st [r1], r2
    add r1, 4
    sub r3, 1
    jnz fill
    mov r1, vectors
    mov evt, r1
    mov r1, 0x8000
    mov ksp, r1
    push 0x6000      ; user sp
    push 1           ; user mode
    push 0           ; flags
    push user        ; pc
    iret
user:
    cli
    hlt
handler:
    cli
    hlt
.align 4
vectors:
    .space 256
`;

const GUESTS: Guest[] = [
  { name: 'examples/os', image: imageOfFile('examples/os/kernel.g32'), inputs: [input(2000, 'k')] },
  { name: 'examples/os-pv', image: imageOfFile('examples/os-pv/kernel.g32'), inputs: [input(2000, 'k')], onlyUnder: 'paravirtual' },
  { name: 'examples/popf.g32', image: imageOfFile('examples/popf.g32') },
  { name: 'page-table writes', image: imageOfText(pteWriteSource(20)) },
  { name: 'page-table writes (paravirtual)', image: imageOfText(pteWritePvSource(20)), onlyUnder: 'paravirtual' },
  { name: 'page faults (paravirtual)', image: imageOfText(pageFaultPvSource(20)), onlyUnder: 'paravirtual' },
  { name: 'port I/O', image: imageOfText(portIoSource(20)) },
  { name: 'system calls', image: imageOfText(syscallSource(20)) },
];

interface Observed {
  trap: TrapClass;
  fault: PageFaultClass['kind'] | undefined;
  description: HypervisorEvent | undefined;
  events: HypervisorEvent[];
  marks: PseudocodeLine[];
}

/** Runs a guest, recording for each trap the classification and description made before it, and what the handler emitted and went through. */
function observeTraps(guest: Guest, setting: Setting): Observed[] {
  const system = createSystem({ ...setting, guests: [{ name: 'guest', image: guest.image, inputs: guest.inputs }], maxInstructions: 200_000 });
  const hv = system.hypervisor as Hypervisor;
  hv.isTracing = true;
  const observed: Observed[] = [];
  let events: HypervisorEvent[] | undefined;
  hv.hvEvents.on((event) => events?.push(event));
  let description: HypervisorEvent | undefined;
  // The debugger's question before handling: the event it gets is the description.
  hv.shouldStopAtTrap = (event) => {
    description = event;
    return false;
  };
  const onException = hv.onException.bind(hv);
  hv.onException = (cpu, vector, errorCode, faultAddress) => {
    const current = hv.current;
    hv.syncFromCpu(current);
    const trap = classifyTrap(hv, current, vector, errorCode);
    const isPageFault = trap.kind === 'page-fault' || trap.kind === 'exit-page-fault';
    const fault = isPageFault ? classifyPageFault(current, errorCode, faultAddress, true).kind : undefined;
    description = undefined;
    events = [];
    onException(cpu, vector, errorCode, faultAddress);
    observed.push({ trap, fault, description, events, marks: [...hv.trace] });
    events = undefined;
  };
  system.run();
  return observed;
}

/** What the handler's trace and events must show for a trap of this class; the description's event kind. */
function expected(o: Observed): { mark?: PseudocodeLine; firstEvent?: HypervisorEventKind; descriptionKind: HypervisorEventKind | undefined } {
  const faultMark: Record<PageFaultClass['kind'], PseudocodeLine | undefined> = {
    guest: 'pf-reflect',
    mmio: 'pf-mmio',
    'console-fetch': 'pf-mmio',
    'protected-write': 'pf-protected',
    fill: 'pf-fill',
    'bus-error': undefined,
  };
  const faultKind: Record<PageFaultClass['kind'], HypervisorEventKind> = {
    guest: 'guest-page-fault',
    mmio: 'io-emulated',
    'console-fetch': 'reflected',
    'protected-write': 'hidden-page-fault',
    fill: 'hidden-page-fault',
    'bus-error': 'hidden-page-fault',
  };
  const pfFirstEvent: Record<PageFaultClass['kind'], HypervisorEventKind | undefined> = {
    guest: 'guest-page-fault',
    mmio: 'io-emulated',
    'console-fetch': 'reflected',
    'protected-write': undefined,
    fill: 'hidden-page-fault',
    'bus-error': undefined,
  };
  switch (o.trap.kind) {
    case 'emulate-privileged':
      return { mark: 'decode', firstEvent: 'protection-fault', descriptionKind: 'protection-fault' };
    case 'reflect-protection-fault':
      return { mark: 'reflect-start', firstEvent: 'protection-fault', descriptionKind: 'protection-fault' };
    case 'page-fault':
      return { mark: faultMark[o.fault!], firstEvent: pfFirstEvent[o.fault!], descriptionKind: faultKind[o.fault!] };
    case 'exit-page-fault':
      return { mark: faultMark[o.fault!], firstEvent: 'hw-exit', descriptionKind: faultKind[o.fault!] };
    case 'hypercall':
      return { mark: 'hypercall', firstEvent: 'hypercall', descriptionKind: 'hypercall' };
    case 'syscall':
      return { mark: 'reflect-start', firstEvent: 'syscall', descriptionKind: 'syscall' };
    case 'reflect':
    case 'interrupt':
      return { mark: 'reflect-start', firstEvent: 'reflected', descriptionKind: 'reflected' };
    case 'exit':
      return { mark: 'entry', firstEvent: 'hw-exit', descriptionKind: 'hw-exit' };
    case 'guest-mode-delivery':
      return { firstEvent: 'reflected', descriptionKind: undefined };
  }
}

describe("hypervisor: the debugger's description of a trap and the handler agree (one classifyTrap)", () => {
  /** Per setting, each guest's traps. */
  const observed = new Map<string, Array<{ guest: string; traps: Observed[] }>>();
  before(() => {
    for (const setting of SETTING_CHOICES) {
      observed.set(
        settingLabel(setting),
        GUESTS.filter((g) => !g.onlyUnder || g.onlyUnder === setting.virtualization).map((g) => ({ guest: g.name, traps: observeTraps(g, setting) })),
      );
    }
  });

  for (const setting of SETTING_CHOICES) {
    it(`every trap under ${settingLabel(setting)}`, () => {
      for (const { guest, traps } of observed.get(settingLabel(setting))!) {
        for (const o of traps) {
          const label = `${guest}, ${o.trap.kind}${o.fault ? ` (${o.fault})` : ''}: described as ${o.description?.kind} "${o.description?.description}"; handler went through [${o.marks.join(', ')}] and emitted [${o.events.map((e) => e.kind).join(', ')}]`;
          const want = expected(o);
          if (want.mark) assert.ok(o.marks.includes(want.mark), `${label}: no ${want.mark} line in the handler's trace`);
          if (want.firstEvent) assert.strictEqual(o.events[0]?.kind, want.firstEvent, label);
          else assert.strictEqual(o.events.length, 0, label);
          // A guest-mode delivery is described only for the exceptions a debugger can hold (#GP, #PF, syscall).
          if (o.trap.kind === 'guest-mode-delivery') {
            if (o.description) assert.strictEqual(o.description.isGuestModeDelivery, true, label);
          } else assert.strictEqual(o.description?.kind, want.descriptionKind, label);
        }
      }
    });
  }

  it('reaches every kind of trap the guests raise', () => {
    const reached = new Set([...observed.values()].flatMap((runs) => runs.flatMap((r) => r.traps.map((o) => `${o.trap.kind}${o.fault ? `/${o.fault}` : ''}`))));
    for (const kind of [
      'emulate-privileged',
      'page-fault/guest',
      'page-fault/mmio',
      'page-fault/protected-write',
      'page-fault/fill',
      'hypercall',
      'syscall',
      'exit',
      'exit-page-fault/fill',
      'exit-page-fault/mmio',
      'exit-page-fault/protected-write',
      'guest-mode-delivery',
    ]) {
      assert.ok(reached.has(kind), `no trap of kind ${kind} among ${[...reached].join(', ')}`);
    }
  });

  it("a user program's privileged instruction is described and handled as the guest's own #GP", () => {
    const observed = observeTraps({ name: 'user cli', image: imageOfText(USER_CLI) }, SETTING_CHOICES[0]);
    const gp = observed.find((o) => o.trap.kind === 'reflect-protection-fault');
    assert.ok(gp, `no #GP from user mode among ${observed.map((o) => o.trap.kind).join(', ')}`);
    assert.match(gp.description!.description, /will be reflected to the guest as #GP/);
    assert.ok(gp.events.some((e) => e.kind === 'reflected' && e.vector === Vector.GP));
  });
});

describe('hypervisor: an interrupt held for the debugger is delivered as if it had not been held', () => {
  for (const setting of SETTING_CHOICES) {
    it(`under ${settingLabel(setting)}`, () => {
      const guest = { name: 'guest', image: imageOfFile('examples/os/kernel.g32'), inputs: [input(2000, 'k')] };
      const plain = createSystem({ ...setting, guests: [guest] });
      const plainResult = plain.run();
      const held = createSystem({ ...setting, guests: [guest] });
      const hv = held.hypervisor as Hypervisor;
      let holds = 0;
      hv.shouldStopAtTrap = (event) => event.kind === 'reflected' && (event.vector === Vector.TIMER || event.vector === Vector.KEYBOARD) && holds++ < 3;
      let result = held.run();
      while (result.reason === 'requested') result = held.run();
      assert.ok(holds > 3, 'the guest took fewer than three interrupts');
      assert.deepStrictEqual(result, plainResult);
      assert.strictEqual(Buffer.from(held.guest(0).console).toString('latin1'), Buffer.from(plain.guest(0).console).toString('latin1'));
      // (Under binary translation a stop also costs the translator its block chain and some TLB entries: only these are compared.)
      const pick = (c: CostCounters) => ({
        virtualInterrupts: c.virtualInterrupts,
        reflections: c.reflections,
        trapsOther: c.trapsOther,
        hwExits: c.hwExits,
        hwExitsInterrupt: c.hwExitsInterrupt,
        instructionsPretendKernel: c.instructionsPretendKernel,
        instructionsPretendUser: c.instructionsPretendUser,
      });
      assert.deepStrictEqual(pick(held.counters()!), pick(plain.counters()!));
    });
  }
});
