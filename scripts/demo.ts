// `npm run demo`: runs the example guest OS on bare hardware and under every
// supported virtualization setting, prints its console once, and then a table
// of costs side by side (the same guest, the same output, different costs).

import * as fs from 'fs';
import * as path from 'path';
import { assemble } from '../src/asm';
import { createSystem, SETTING_CHOICES, SettingChoice, SUPPORTED_VIRTUALIZATIONS } from '../src/hypervisor/system';

const ROOT = path.resolve(__dirname, '..');
const PROGRAM = path.join(ROOT, 'examples/os/kernel.g32');
const INPUT = { tick: 2000, bytes: Buffer.from('k') };

export function main(): number {
  const assembled = assemble(PROGRAM, { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined) });
  if (!assembled.image) {
    for (const d of assembled.diagnostics) process.stderr.write(`${d.file}:${d.line}:${d.column}: error: ${d.message}\n`);
    return 1;
  }
  const settings: SettingChoice[] = [{ virtualization: 'none' }, ...SETTING_CHOICES.filter((setting) => SUPPORTED_VIRTUALIZATIONS.includes(setting.virtualization))];
  const rows: Array<{ name: string; cells: string[]; output: string }> = [];
  // The paravirtualized kernel (examples/os-pv) only pays off under paravirtual: one extra row.
  const pvAssembled = assemble(path.join(ROOT, 'examples/os-pv/kernel.g32'), { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined) });
  const image0 = assembled.image;
  const runs: Array<{ setting: SettingChoice; image: typeof image0; label?: string }> = settings.map((setting) => ({ setting, image: image0 }));
  if (pvAssembled.image) runs.push({ setting: { virtualization: 'paravirtual', paging: 'shadow-proactive', kernelShadows: 'separate' }, image: pvAssembled.image, label: 'paravirtual / shadow-proactive / separate, os-pv' });
  for (const { setting, image, label } of runs) {
    const system = createSystem({ ...setting, guests: [{ name: 'os', image, inputs: [INPUT] }] });
    const start = process.hrtime.bigint();
    const result = system.run();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.reason !== 'halted') process.stderr.write(`${system.settingName}: ${result.detail}\n`);
    const view = system.guest(0);
    const c = system.counters();
    const traps = c ? c.trapsProtectionFault + c.trapsPageFault + c.trapsSyscall + c.trapsOther : 0;
    const cells = [
      view.retired, traps, c ? c.privilegedEmulated : 0, c ? c.ioEmulated : 0, c ? c.reflections + c.virtualInterrupts : 0,
      c ? c.hiddenPageFaults : 0, c ? c.shadowDrops : 0, c ? c.writeProtectEmulations : 0, c ? c.guestCr3Loads : system.cpu.cr3Loads, c ? c.realCr3Loads : system.cpu.cr3Loads,
      system.cpu.tlb.misses, c ? c.hypercalls : 0, c ? c.translations : 0, c ? c.hwExits : 0, system.estimatedCycles(),
    ].map(String);
    cells.push(ms.toFixed(1));
    rows.push({ name: label ?? system.settingName, cells, output: Buffer.from(view.console).toString('latin1') });
  }
  process.stdout.write(`hyperstep demo: examples/os/kernel.g32 with the key 'k' typed at tick 2000\n\n--- guest console (bare hardware) ---\n${rows[0].output}`);
  const allSame = rows.every((r) => r.output === rows[0].output);
  process.stdout.write(`--- ${allSame ? 'identical console output under every setting' : 'CONSOLE OUTPUT DIFFERS between settings'} ---\n\n`);
  const headers = ['instr', 'traps', 'emul', 'I/O', 'refl', 'hidPF', 'drops', 'PTwr', 'guestCR3', 'realCR3', 'TLBmiss', 'hcall', 'xlate', 'exits', 'est.cycles', 'ms'];
  const nameWidth = Math.max(...rows.map((r) => r.name.length), 'setting'.length);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const line = (name: string, cells: string[]) => `${name.padEnd(nameWidth)}  ${cells.map((c, i) => c.padStart(widths[i])).join(' ')}\n`;
  process.stdout.write(line('setting', headers));
  for (const row of rows) process.stdout.write(line(row.name, row.cells));
  process.stdout.write([
    '',
    'instr: instructions retired; traps: into the hypervisor; emul: privileged instructions emulated; I/O: port and console accesses emulated;',
    'refl: exceptions and interrupts reflected; hidPF: hidden page faults; drops: shadows dropped; PTwr: page-table (or code-page) writes emulated;',
    'guestCR3: the guest kernel\'s own cr3 loads (mov cr3); realCR3: loads of the real CPU\'s cr3 (the hypervisor switching shadows; on bare hardware the same as guestCR3);',
    'hcall: hypercalls; xlate: blocks translated; exits: hardware-assist exits;',
    'est.cycles: the cost model of docs/hypervisor.md (override with --cost-model); ms: wall time of this run.',
    '',
  ].join('\n'));
  return allSame ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
