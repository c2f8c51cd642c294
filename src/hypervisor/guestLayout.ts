// Where the guests live in machine memory: after the hypervisor's frame pool,
// each guest's RAM in one run of machine frames, laid out in reverse (the
// hypervisor's map is deliberately not the identity). Each guest gets its
// devices, its image loaded, its shadow paging and (under binary translation)
// its translator.

import { DeviceSet } from '../machine/devices/bus';
import { PAGE_SIZE } from '../machine/isa';
import { hexLiteral } from '../machine/format';
import { attachTranslator, isTranslatedCodePage, MachineFrameOwners, onTranslatedCodeWrite } from './binaryTranslation';
import { Guest } from './guest';
import { GuestMemory } from './guestMemory';
import type { GuestConfig, Hypervisor } from './hypervisor';
import { OnDemandShadow } from './shadow/onDemand';
import { ProactiveShadow } from './shadow/proactive';
import { ShadowHost } from './shadow/shadowPaging';

/** Lays out and loads the guests of `configs` (of `sizes` bytes each) from machine address `base` on. */
export function layOutGuests(hv: Hypervisor, configs: readonly GuestConfig[], sizes: readonly number[], base: number): MachineFrameOwners {
  const owners: MachineFrameOwners = {
    guestOfMachineFrame: new Int32Array(hv.memory.size >>> 12).fill(-1),
    gfnOfMachineFrame: new Int32Array(hv.memory.size >>> 12),
  };
  configs.forEach((guestConfig, id) => {
    const size = sizes[id];
    const nFrames = size / PAGE_SIZE;
    // The hypervisor's map is deliberately not the identity: guest frames are laid out in reverse.
    const frames = new Int32Array(nFrames);
    for (let gfn = 0; gfn < nFrames; gfn++) {
      frames[gfn] = base + (nFrames - 1 - gfn) * PAGE_SIZE;
      owners.guestOfMachineFrame[frames[gfn] >>> 12] = id;
      owners.gfnOfMachineFrame[frames[gfn] >>> 12] = gfn;
    }
    const devices = new DeviceSet(guestConfig.inputs ?? [], hv.events);
    const guestMemory = new GuestMemory(hv.memory, frames, size, devices);
    const guest = new Guest(id, guestConfig.name, guestMemory, devices, guestConfig.image.entry, hv.config.maxInstructions, hv.isHardwareAssist);
    if (hv.isNested) guest.nested = { frames, size, references: 0 };
    for (const chunk of guestConfig.image.chunks) {
      if (chunk.address < 0 || chunk.address + chunk.bytes.length > size) {
        throw new RangeError(`guest ${guestConfig.name}: image chunk at ${hexLiteral(chunk.address)} does not fit in ${size} bytes of guest RAM`);
      }
      for (let i = 0; i < chunk.bytes.length; i++) hv.memory.bytes[guestMemory.toMachine(chunk.address + i)] = chunk.bytes[i];
    }
    // In hardware guest mode the real CPU checks U itself, so one shadow with the guest's U bits serves both modes.
    const kernelShadows = hv.isHardwareAssist ? 'flush-on-switch' : hv.config.kernelShadows;
    if (hv.config.virtualization === 'binary-translation') attachTranslator(hv, guest);
    const isCodePage = (gpa: number) => isTranslatedCodePage(guest, gpa);
    const deps = { memory: guestMemory, host: hv as ShadowHost, counters: guest.counters, kernelShadows, isPretendUser: () => guest.isPretendUser, isHardwareMode: hv.isHardwareAssist, isCodePage };
    guest.shadow = hv.config.paging === 'shadow-proactive' ? new ProactiveShadow(deps, hv.pool) : new OnDemandShadow(deps, hv.pool);
    guestMemory.onWrite = (gpa, length) => {
      if (guest.shadow.isWriteProtected(gpa)) guest.shadow.onProtectedWrite(gpa, length);
    };
    if (guest.translator) hv.memory.onWatchedWrite = (pa, length) => onTranslatedCodeWrite(owners, hv.guests, pa, length);
    hv.guests.push(guest);
    base += size;
  });
  return owners;
}
