// FilterMatching decides which simulator events stop the run as exception
// filters, and pushes what it decides to the run state: a trap held with its
// filter, a stop right after an event, or (in a reverse search) a recorded match.

import * as assert from 'assert';
import { FilterMatching } from '../../../src/debug/filterMatching';
import { COUNTER_PROGRAM, machine, Machine, trapEvent } from './harness';

function filtersOver(m: Machine, divergenceUnavailable?: string): FilterMatching {
  return new FilterMatching({ run: m.current, replay: m.replayMode, stops: m.runState, instructionText: () => 'cli', divergenceUnavailable });
}

describe('debug parts: FilterMatching', () => {
  it('a matching trap filter holds the trap with its filter id', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m);
    filters.set([{ filterId: 'privileged-emulated' }]);
    const event = trapEvent();
    assert.strictEqual(filters.shouldStopAtTrap(event), true);
    assert.deepStrictEqual(m.runState.takeHeldTrap(), { event, filterId: 'privileged-emulated' });
  });

  it('an in/out instruction matches io-emulated, not privileged-emulated', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m);
    filters.set([{ filterId: 'privileged-emulated' }]);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent({ instruction: 'in r1, 0x60' })), false);
    filters.set([{ filterId: 'io-emulated' }]);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent({ instruction: 'in r1, 0x60' })), true);
    assert.strictEqual(m.runState.takeHeldTrap()?.filterId, 'io-emulated');
  });

  it('a condition that does not hold lets the trap go', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m);
    assert.deepStrictEqual(filters.set([{ filterId: 'protection-fault', condition: 'pc == 0x2000' }]), [{ isVerified: true }]);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent({ pc: 0x1000 })), false);
    assert.strictEqual(m.runState.hasHeldTrap, false);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent({ pc: 0x2000 })), true);
  });

  it('step into holds the next trap of its own guest, without a filter', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m);
    filters.set([]);
    m.runState.beginStepIn(0);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent({ guest: 1 })), false);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent({ guest: 0 })), true);
    assert.strictEqual(m.runState.takeHeldTrap()?.filterId, undefined);
  });

  it('an event filter asks for a stop right after the event; nothing stops while the hypervisor frame handles a trap', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m);
    filters.set([{ filterId: 'cr3-load' }]);
    filters.suppress(true);
    filters.filterAfter('cr3-load', filters.filterEvent('cr3-load', 0, 'cr3 load of 0x00002000', 0x2000));
    assert.strictEqual(m.runState.hasPendingStop, false);
    filters.suppress(false);
    filters.filterAfter('tlb-flush', filters.filterEvent('tlb-flush', 0, 'flush'));
    assert.strictEqual(m.runState.hasPendingStop, false, 'a filter that is off');
    filters.filterAfter('cr3-load', filters.filterEvent('cr3-load', 0, 'cr3 load of 0x00002000', 0x2000), 0x2000);
    assert.deepStrictEqual(m.runState.takePendingStop(), { reason: 'exception', guest: 0, description: 'cr3 load of 0x00002000', exceptionId: 'cr3-load', highlightVa: 0x2000 });
  });

  it('a reverse-continue search records a trap match and lets the trap go on', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m);
    filters.set([{ filterId: 'privileged-emulated' }]);
    m.replayMode.setSearching(true);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent()), false);
    const matches = m.runState.takeTrapMatches();
    assert.strictEqual(matches.length, 1);
    assert.strictEqual(matches[0].stop.exceptionId, 'privileged-emulated');
    assert.strictEqual(m.runState.hasHeldTrap, false);
  });

  it('a quiet replay holds only the trap at the position it was asked to, whatever the filters', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m);
    filters.set([{ filterId: 'privileged-emulated' }]);
    m.replayMode.setReplaying(true);
    assert.strictEqual(filters.shouldStopAtTrap(trapEvent()), false, 'no hold asked');
    filters.set([]);
    m.replayMode.holdTrapAt(m.current.position());
    const event = trapEvent();
    assert.strictEqual(filters.shouldStopAtTrap(event), true);
    assert.strictEqual(m.runState.lastTrapEvent, event);
    assert.strictEqual(m.runState.hasHeldTrap, false, 'a replay does not report it');
  });

  it('answers unknown filters, bad conditions and an unavailable divergence filter as unverified, with why', () => {
    const m = machine(COUNTER_PROGRAM);
    const filters = filtersOver(m, 'this session runs on bare hardware: there is nothing to compare with');
    const results = filters.set([{ filterId: 'nope' }, { filterId: 'syscall', condition: 'colour == red' }, { filterId: 'divergence' }, { filterId: 'syscall' }]);
    assert.deepStrictEqual(
      results.map((r) => r.isVerified),
      [false, false, false, true],
    );
    assert.match(results[0].message!, /unknown filter 'nope'/);
    assert.match(results[1].message!, /unknown field 'colour'/);
    assert.match(results[2].message!, /bare hardware/);
    assert.strictEqual(filters.hasBeforeFilters, true);
  });
});
