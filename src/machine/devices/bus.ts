// The devices of one machine (or of one guest's virtual hardware) and how ports
// and the console page reach them (docs/machine.md, Devices and the console). Unknown ports read 0 and
// ignore writes, as do reads of 0x40 and writes to 0x60/0x64.

import { EventHub, MachineEvent } from '../events';
import { CONSOLE_BASE, PORT_KEYBOARD_DATA, PORT_KEYBOARD_STATUS, PORT_TIMER } from '../isa';
import { Console, ConsoleState } from './console';
import { Keyboard, KeyboardState, TimedInput } from './keyboard';
import { Timer, TimerState } from './timer';

export const enum Irq {
  TIMER = 1,
  KEYBOARD = 2,
}

export class DeviceSet {
  readonly keyboard: Keyboard;
  readonly timer = new Timer();
  readonly console = new Console();
  /** Clock used to stamp device events; set by the owner. */
  ticks = 0;

  constructor(
    inputs: readonly TimedInput[],
    private readonly events: EventHub<MachineEvent>,
  ) {
    this.keyboard = new Keyboard(inputs);
  }

  /** Brings device state up to `ticks`: timed input arrives, the timer fires. */
  advance(ticks: number): void {
    this.ticks = ticks;
    this.keyboard.advance(ticks);
    this.timer.advance(ticks);
  }

  /** The earliest tick after which device state changes by itself. */
  nextEventTick(): number {
    return Math.min(this.timer.nextFire, this.keyboard.nextArrivalTick());
  }

  pendingIrqs(): number {
    return (this.timer.isInterruptPending ? Irq.TIMER : 0) | (this.keyboard.isInterruptPending ? Irq.KEYBOARD : 0);
  }

  /** Takes the highest-priority pending interrupt (timer before keyboard); returns its vector or -1. */
  takeInterrupt(): number {
    if (this.timer.isInterruptPending) {
      this.timer.isInterruptPending = false;
      return 32;
    }
    if (this.keyboard.isInterruptPending) {
      this.keyboard.isInterruptPending = false;
      return 33;
    }
    return -1;
  }

  portIn(port: number, ticks: number): number {
    let value = 0;
    let device: 'keyboard' | 'timer' | undefined;
    port >>>= 0;
    if (port === PORT_KEYBOARD_DATA) {
      value = this.keyboard.readData();
      device = 'keyboard';
    } else if (port === PORT_KEYBOARD_STATUS) {
      value = this.keyboard.readStatus();
      device = 'keyboard';
    } else if (port === PORT_TIMER) device = 'timer';
    if (device && this.events.isActive) this.events.emit({ kind: 'device', device, isWrite: false, port, value, ticks });
    return value;
  }

  /** `ticksAfterRetire` is the tick count once the `out` has retired (the timer counts from there). */
  portOut(port: number, value: number, ticksAfterRetire: number): void {
    port >>>= 0;
    if (port === PORT_TIMER) {
      this.timer.write(value, ticksAfterRetire);
      if (this.events.isActive) this.events.emit({ kind: 'device', device: 'timer', isWrite: true, port, value: value >>> 0, ticks: ticksAfterRetire });
    }
  }

  consoleReadByte(pa: number): number {
    return this.console.readByte(pa >>> 0);
  }

  consoleStore(pa: number, value: number, ticks: number): void {
    pa >>>= 0;
    if (this.events.isActive && pa === CONSOLE_BASE) this.events.emit({ kind: 'device', device: 'console', isWrite: true, port: pa, value: value & 0xff, ticks });
    this.console.store(pa, value);
  }

  saveState(): DeviceState {
    return { keyboard: this.keyboard.saveState(), timer: this.timer.saveState(), console: this.console.saveState() };
  }

  loadState(state: DeviceState): void {
    this.keyboard.loadState(state.keyboard);
    this.timer.loadState(state.timer);
    this.console.loadState(state.console);
  }
}

export interface DeviceState {
  keyboard: KeyboardState;
  timer: TimerState;
  console: ConsoleState;
}
