// `npm run demo`: runs the example guest OS on bare hardware and under every
// supported virtualization setting, prints its console once, and then a table
// of costs side by side (the same guest, the same output, different costs).

import * as fs from 'fs';
import * as path from 'path';
import { assemble } from '../src/asm';
import { createSystem, SUPPORTED_VIRTUALIZATIONS, SystemOptions } from '../src/hypervisor/system';

const ROOT = path.resolve(__dirname, '..');
const PROGRAM = path.join(ROOT, 'examples/os/kernel.g32');
const INPUT = { tick: 2000, bytes: Buffer.from('k') };

export function main(): number {
  const assembled = assemble(PROGRAM, { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined) });
  if (!assembled.image) {
    for (const d of assembled.diagnostics) process.stderr.write(`${d.file}:${d.line}:${d.column}: error: ${d.message}\n`);
    return 1;
  }
  const settings: Array<Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>> = [{ virtualization: 'none' }];
  for (const virtualization of SUPPORTED_VIRTUALIZATIONS.filter((v) => v !== 'none')) {
    for (const paging of ['shadow-on-demand', 'shadow-proactive'] as const) {
      for (const kernelShadows of ['separate', 'flush-on-switch'] as const) settings.push({ virtualization, paging, kernelShadows });
    }
  }
  const columns: Array<{ name: string; rows: Map<string, number>; output: string; ms: number }> = [];
  for (const setting of settings) {
    const system = createSystem({ ...setting, guests: [{ name: 'os', image: assembled.image, inputs: [INPUT] }] });
    const start = process.hrtime.bigint();
    const result = system.run();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.reason !== 'halted') process.stderr.write(`${system.settingName}: ${result.detail}\n`);
    const view = system.guest(0);
    const rows = new Map<string, number>([['instructions retired', view.retired], ...system.costRows()]);
    columns.push({ name: system.settingName, rows, output: Buffer.from(view.console).toString('latin1'), ms });
  }
  process.stdout.write(`hyperstep demo: examples/os/kernel.g32 with the key 'k' typed at tick 2000\n\n--- guest console (bare hardware) ---\n${columns[0].output}`);
  const allSame = columns.every((c) => c.output === columns[0].output);
  process.stdout.write(`--- ${allSame ? 'identical console output under every setting' : 'CONSOLE OUTPUT DIFFERS between settings'} ---\n\n`);
  const labels = [...new Set(columns.flatMap((c) => [...c.rows.keys()]))].filter((label) => columns.some((c) => (c.rows.get(label) ?? 0) !== 0));
  const headers = columns.map((c) => c.name.replace('trap-and-emulate', 'T&E').replace('shadow-', '').replace(' / ', '/').replace(' / ', '/'));
  const width = Math.max(...labels.map((l) => l.length), 'wall time (ms)'.length);
  const colWidth = Math.max(12, ...headers.map((h) => h.length));
  const line = (label: string, cells: string[]) => `${label.padEnd(width)}  ${cells.map((c) => c.padStart(colWidth)).join('  ')}\n`;
  process.stdout.write(line('costs', headers));
  for (const label of labels) process.stdout.write(line(label, columns.map((c) => String(c.rows.get(label) ?? 0))));
  process.stdout.write(line('wall time (ms)', columns.map((c) => c.ms.toFixed(1))));
  process.stdout.write('\nT&E = trap-and-emulate; columns are paging/kernelShadows. Cycle costs: src/hypervisor/costs.ts (override with --cost-model).\n');
  return allSame ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
