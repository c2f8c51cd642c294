// One cheap event mechanism for the machine and everything built on it. Emit
// sites test `hub.isActive` before building an event object, so with nobody
// listening an event costs one property read.

export type AccessKind = 'read' | 'write' | 'fetch';

export type MachineEvent =
  | { kind: 'exception'; vector: number; errorCode: number; faultAddress: number; pc: number; fromUser: boolean; ticks: number }
  | { kind: 'tlb-flush'; reason: 'cr3-load' | 'invlpg' | 'hypervisor'; page: number | undefined; nRemoved: number; ticks: number }
  | { kind: 'page-walk'; va: number; access: AccessKind; isUser: boolean; pde: number; pte: number; pa: number; errorCode: number; isOk: boolean; ticks: number }
  | { kind: 'device'; device: 'keyboard' | 'timer' | 'console'; isWrite: boolean; port: number; value: number; ticks: number }
  | { kind: 'cr3-load'; value: number; ticks: number }
  /** A sensitive, unprivileged instruction ran on the real CPU (it never traps). */
  | { kind: 'sensitive'; mnemonic: 'pushf' | 'popf' | 'mov rd, evt'; pc: number; isUser: boolean; ticks: number };

export class EventHub<E extends { kind: string }> {
  private listeners: Array<(event: E) => void> = [];
  /** True while at least one listener is attached. */
  isActive = false;

  on(listener: (event: E) => void): () => void {
    this.listeners.push(listener);
    this.isActive = true;
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
      this.isActive = this.listeners.length > 0;
    };
  }

  emit(event: E): void {
    for (const listener of this.listeners) listener(event);
  }
}
