// Interventions: the user's edits are applied at once and recorded at their
// run position, so a replay makes them again; an edit made at a held trap is
// marked so the replay holds the trap first.

import * as assert from 'assert';
import { History } from '../../../src/debug/history';
import { Interventions } from '../../../src/debug/interventions';
import { COUNTER_PROGRAM, machine, runTicks } from './harness';

function over() {
  const m = machine(COUNTER_PROGRAM);
  const history = new History<null>(20, 1000);
  history.reset({ position: 0, state: undefined, runtime: null, nInterventions: 0, bytes: 0 });
  let aliasesCleared = 0;
  let shownAfter = 0;
  const interventions = new Interventions({
    run: m.current,
    history,
    hvFrame: {
      showAfterHandlingForEdit: () => {
        shownAfter++;
      },
    },
    cpuBreakpoints: {
      clearAliases: () => {
        aliasesCleared++;
      },
    },
  });
  return { m, history, interventions, counts: () => ({ aliasesCleared, shownAfter }) };
}

describe('debug parts: Interventions', () => {
  it('a register edit is applied and recorded at its position; applying it again makes it again', () => {
    const { m, history, interventions, counts } = over();
    runTicks(m.current, 4);
    interventions.setRegister(0, 'R3', 0xdeadbeef);
    assert.strictEqual(m.current.target.regs(0)[3] >>> 0, 0xdeadbeef);
    const [edit] = history.interventions;
    assert.strictEqual(edit.position, m.current.position());
    assert.strictEqual(edit.description, 'R3 = 0xdeadbeef');
    assert.strictEqual(edit.isTrapHeld, false);
    m.current.target.regs(0)[3] = 0;
    edit.apply();
    assert.strictEqual(m.current.target.regs(0)[3] >>> 0, 0xdeadbeef);
    assert.strictEqual(counts().shownAfter, 1, 'in the hypervisor frame the edit applies to the state after handling');
  });

  it('flag edits change one bit; a name that is not a register is refused', () => {
    const { m, interventions } = over();
    const flags = m.current.target.flags(0);
    interventions.setRegister(0, 'zf', 1);
    assert.strictEqual(m.current.target.flags(0), flags | 2);
    assert.throws(() => interventions.setRegister(0, 'r16', 1), /'r16' is not a register that can be set/);
  });

  it('a memory write returns the bytes written and drops breakpoint aliases; typed input is kept with its tick', () => {
    const { m, history, interventions, counts } = over();
    assert.strictEqual(interventions.writeMemory('gpa', 0, 0x9000, Uint8Array.of(1, 2, 3)), 3);
    assert.strictEqual(m.current.target.readByte('gpa', 0, 0x9002), 3);
    assert.strictEqual(counts().aliasesCleared, 1);
    runTicks(m.current, 2);
    interventions.typeInput(0, Uint8Array.of(0x6b));
    const typed = history.interventions.at(-1)!;
    assert.deepStrictEqual(typed.input && { tick: typed.input.tick, bytes: [...typed.input.bytes] }, { tick: m.current.target.ticks(0), bytes: [0x6b] });
  });
});
