// Messages that teach (issue 9): each broken guest of test/cli/fixtures gets
// the message that names its mistake; options with no effect are warned about;
// --compare's exit status; --help's defaults; the counters' names and meaning;
// --trace's labels; --show/--at's tables.

import { readSourceFile } from '../../src/loader/sourceFile';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SETTING_CHOICES } from '../../src/hypervisor/system';
import { PSEUDOCODE_TEXT } from '../../src/hypervisor/pseudocode';
import { describePageFaultError } from '../../src/machine/pageFaultError';
import { ineffectiveSettingWarnings, LAUNCH_SETTING_NAMES } from '../../src/hypervisor/settingWarnings';
import { DebugRuntime } from '../../src/debug/runtime';
import { parseLaunchConfig } from '../../src/debug/launchConfig';

const ROOT = path.resolve(__dirname, '../../..');
const MAIN = path.join(ROOT, 'out/src/cli/main.js');
const FIXTURES = path.join(ROOT, 'test/cli/fixtures');
const EXAMPLES = path.join(ROOT, 'examples');

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): CliResult {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, timeout: 120000 });
  return { status: result.status, stdout: result.stdout.toString('latin1'), stderr: result.stderr.toString('utf8') };
}

const fixture = (name: string) => path.join(FIXTURES, name);

/** 1-based line of the first line of a fixture containing `text`. */
function lineOf(name: string, text: string): number {
  const lines = fs.readFileSync(fixture(name), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(text));
  assert.ok(index >= 0, `${text} not in ${name}`);
  return index + 1;
}

describe('cli: messages that teach', function () {
  this.timeout(120000);
  let directory = '';
  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-messages-'));
  });
  after(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  describe('a kernel mistake in delivery is named', () => {
    for (const virtualization of ['none', 'trap-and-emulate', 'hardware-assist']) {
      it(`forgotten mov ksp: the triple fault says ksp is 0 (${virtualization})`, () => {
        const result = cli(['run', fixture('no-ksp.g32'), '--virtualization', virtualization]);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /triple fault while delivering #DF: delivering system call from pc 0x[0-9a-f]+: ksp is 0 — the kernel never set its stack with `mov ksp, …`/);
      });
    }

    it('forgotten mov evt: the triple fault says evt is 0 and which entry could not be read', () => {
      for (const virtualization of ['none', 'trap-and-emulate']) {
        const result = cli(['run', fixture('no-evt.g32'), '--virtualization', virtualization]);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /evt is 0 — the kernel never set its vector table with `mov evt, …`, and evt\[6\] at 0x00000018 is not mapped/);
      }
    });

    it('a double fault the guest survives is named on stderr: the unmapped evt entry', () => {
      for (const virtualization of ['none', 'trap-and-emulate', 'binary-translation', 'hardware-assist']) {
        const result = cli(['run', fixture('df-survived.g32'), '--virtualization', virtualization]);
        assert.deepEqual({ status: result.status, stdout: result.stdout }, { status: 0, stdout: 'D' }, virtualization);
        assert.match(
          result.stderr,
          /note: the guest took a double fault: delivering #PF page fault from pc 0x[0-9a-f]+: the vector table entry evt\[14\] at 0x00003014 \(evt = 0x00002fdc\) is not mapped/,
          virtualization,
        );
      }
    });

    it('a double fault and its cause are records of the trace', () => {
      const trace = path.join(directory, 'df.jsonl');
      cli(['run', fixture('df-survived.g32'), '--trace', trace]);
      const df = fs
        .readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .find((r) => r.kind === 'exception' && r.vector === 8);
      assert.match(df?.cause ?? '', /evt\[14\] at 0x00003014/);
    });
  });

  describe('a run that hits the instruction limit without printing says why', () => {
    it("the console page not mapped: names the page, the fault in words, and the store's source line", () => {
      for (const virtualization of ['none', 'trap-and-emulate']) {
        const result = cli(['run', fixture('unmapped-console.g32'), '--max-instructions', '20000', '--virtualization', virtualization]);
        assert.equal(result.status, 4);
        assert.match(result.stderr, /the guest wrote nothing to its console in 20000 instructions/);
        assert.match(result.stderr, /Likely causes:\n.*console page 0xFFFF0000 is not mapped.*\n.*`evt` was never set.*\n.*waits for keyboard input/);
        const store = lineOf('unmapped-console.g32', 'st [0xFFFF0000], r1');
        assert.match(
          result.stderr,
          new RegExp(
            `#PF page fault at 0xffff0000, error 2 \\(not present, write, kernel\\), \\d+ times in that window, the last caused by \`st \\[0xffff0000\\], r1\` at pc 0x[0-9a-f]+ \\(test/cli/fixtures/unmapped-console\\.g32:${store}\\)`,
          ),
        );
        assert.match(result.stderr, /The console page 0xFFFF0000 is not mapped in the guest's page table/);
      }
    });

    it("a loop waiting for a key that never came: names the loop's lines and the keyboard port", () => {
      const result = cli(['run', fixture('wait-key.g32'), '--max-instructions', '20000']);
      assert.equal(result.status, 4);
      assert.match(result.stderr, /spun over pc 0x00000000 \(test\/cli\/fixtures\/wait-key\.g32:3\) to 0x0000000c \(test\/cli\/fixtures\/wait-key\.g32:5\)/);
      assert.match(result.stderr, /read the keyboard status port 0x64 \d+ times in that window: a loop waiting for input that never came \(give some with --input/);
      // Given the key, the same guest prints it: the message was about the input.
      assert.deepEqual({ status: cli(['run', fixture('wait-key.g32'), '--input', 'x']).status }, { status: 0 });
    });

    it('a run that printed something gets no "wrote nothing" hint', () => {
      const guest = path.join(directory, 'print-then-spin.g32');
      fs.writeFileSync(guest, "_start: mov r1, 'x'\n        st [0xFFFF0000], r1\n.l:     jmp .l\n");
      const result = cli(['run', guest, '--max-instructions', '1000']);
      assert.equal(result.status, 4);
      assert.doesNotMatch(result.stderr, /wrote nothing|Likely causes/);
    });
  });

  describe('vmcall with no hypervisor to take it', () => {
    it('on bare hardware: the run says vmcall raised #UD because there is no hypervisor, at its source line', () => {
      const result = cli(['run', fixture('vmcall-bare.g32'), '--max-instructions', '20000']);
      assert.equal(result.status, 4);
      const line = lineOf('vmcall-bare.g32', 'vmcall 8');
      assert.match(
        result.stderr,
        new RegExp(
          `\`vmcall 0x8\` at 0x[0-9a-f]+ \\(test/cli/fixtures/vmcall-bare\\.g32:${line}\\) raised #UD \\(invalid opcode, vector 6\\): on bare hardware there is no hypervisor to take hypercalls`,
        ),
      );
      assert.match(result.stderr, /evt is 0: the kernel never set its vector table/);
    });

    it('with no stack either: the bus error says sp is 0 and why vmcall trapped', () => {
      const guest = path.join(directory, 'vmcall-nostack.g32');
      fs.writeFileSync(guest, "_start: mov r1, 'a'\n        vmcall 8\n        hlt\n");
      const result = cli(['run', guest]);
      assert.equal(result.status, 3);
      assert.match(result.stderr, /sp is 0 in kernel mode/);
      assert.match(result.stderr, /raised #UD \(invalid opcode, vector 6\): on bare hardware there is no hypervisor/);
      const underTrap = cli(['run', guest, '--virtualization', 'trap-and-emulate']);
      assert.match(underTrap.stderr, /under trap-and-emulate the hypervisor takes no hypercalls \(only paravirtual and hardware-assist do\)/);
    });

    it('under paravirtual the same guest works (the hypercall writes the console)', () => {
      const result = cli(['run', fixture('vmcall-bare.g32'), '--virtualization', 'paravirtual']);
      assert.deepEqual({ status: result.status, stdout: result.stdout }, { status: 0, stdout: 'a' });
    });
  });

  describe('settings that have no effect are warned about', () => {
    const hello = path.join(EXAMPLES, 'hello.g32');
    const cases: Array<[string[], RegExp]> = [
      [['--kernel-shadows', 'separate', '--virtualization', 'hardware-assist'], /warning: --kernel-shadows separate has no effect with hardware-assist and nested paging/],
      [
        ['--kernel-shadows', 'flush-on-switch', '--virtualization', 'hardware-assist', '--paging', 'shadow-on-demand'],
        /warning: --kernel-shadows flush-on-switch has no effect with hardware-assist: the guest kernel runs in real kernel mode/,
      ],
      [['--paging', 'shadow-proactive'], /warning: --paging shadow-proactive has no effect with virtualization none/],
      [['--kernel-shadows', 'separate'], /warning: --kernel-shadows separate has no effect with virtualization none/],
    ];
    for (const [args, message] of cases) {
      it(`${args.join(' ')}: warned on stderr, the run is unchanged`, () => {
        const result = cli(['run', hello, ...args]);
        assert.deepEqual({ status: result.status, stdout: result.stdout }, { status: 0, stdout: 'Hello, world!\n' });
        assert.match(result.stderr, message);
      });
    }

    it('--cost-model keys for events the setting never has are warned about', () => {
      const model = path.join(directory, 'model.json');
      fs.writeFileSync(model, JSON.stringify({ trap: 900, translate: 10, instruction: 2 }));
      const bare = cli(['run', hello, '--cost-model', model, '--stats']);
      assert.equal(bare.status, 0);
      assert.match(bare.stderr, /warning: --cost-model 'trap', 'translate' have no effect with virtualization none/);
      const translated = cli(['run', hello, '--cost-model', model, '--virtualization', 'binary-translation']);
      assert.deepEqual({ status: translated.status, stderr: translated.stderr }, { status: 0, stderr: '' });
      const assisted = cli(['run', hello, '--cost-model', model, '--virtualization', 'hardware-assist']);
      assert.match(assisted.stderr, /warning: --cost-model 'trap', 'translate' have no effect with virtualization hardware-assist/);
    });

    it('--cost-model first-gen|modern picks a hardware profile; a file may name its base profile', () => {
      const cycles = (args: string[]) => {
        const result = cli(['run', path.join(EXAMPLES, 'os/kernel.g32'), '--input-at', '2000:k', '--virtualization', 'hardware-assist', '--stats', ...args]);
        assert.equal(result.status, 0, result.stderr);
        return Number(/estimated cycles\s+(\d+)/.exec(result.stderr)![1]);
      };
      const byDefault = cycles([]);
      assert.equal(cycles(['--cost-model', 'first-gen']), byDefault);
      const modern = cycles(['--cost-model', 'modern']);
      assert.ok(modern < byDefault, `modern ${modern} vs first-gen ${byDefault}: cheaper exits`);
      const model = path.join(directory, 'modern-base.json');
      fs.writeFileSync(model, JSON.stringify({ profile: 'modern' }));
      assert.equal(cycles(['--cost-model', model]), modern);
      fs.writeFileSync(model, JSON.stringify({ profile: 'pentium' }));
      const bad = cli(['run', hello, '--cost-model', model]);
      assert.equal(bad.status, 64);
      assert.match(bad.stderr, /'profile' must be one of 'first-gen', 'modern'/);
      assert.deepEqual(parseLaunchConfig({ program: 'a.g32', costModel: 'modern' }).costModel, 'modern');
      assert.throws(() => parseLaunchConfig({ program: 'a.g32', costModel: 'fast' }), /launch attribute 'costModel' must be one of 'first-gen', 'modern'/);
    });

    it('--stats and --trace with --compare are warned about', () => {
      const result = cli(['run', path.join(EXAMPLES, 'popf.g32'), '--virtualization', 'hardware-assist', '--compare', '--stats', '--trace', path.join(directory, 'unused.jsonl')]);
      assert.match(result.stderr, /warning: --stats has no effect with --compare/);
      assert.match(result.stderr, /warning: --trace has no effect with --compare/);
    });

    it('settings that do something are not warned about', () => {
      for (const args of [
        [],
        ['--virtualization', 'trap-and-emulate', '--paging', 'shadow-proactive', '--kernel-shadows', 'flush-on-switch'],
        ['--virtualization', 'hardware-assist', '--paging', 'shadow-on-demand'],
      ]) {
        const result = cli(['run', hello, ...args]);
        assert.deepEqual({ status: result.status, stderr: result.stderr }, { status: 0, stderr: '' }, args.join(' '));
      }
    });

    it('the debugger says the same in its debug console when the launch configuration has such a setting', () => {
      const reader = { readSourceFile: (f: string) => readSourceFile(f) };
      const runtime = new DebugRuntime(parseLaunchConfig({ program: hello, virtualization: 'hardware-assist', kernelShadows: 'separate' }), reader);
      assert.match(runtime.banner(), /\nwarning: launch attribute 'kernelShadows' separate has no effect with hardware-assist and nested paging/);
      const quiet = new DebugRuntime(parseLaunchConfig({ program: hello, virtualization: 'trap-and-emulate', kernelShadows: 'separate' }), reader);
      assert.doesNotMatch(quiet.banner(), /warning/);
      assert.deepEqual(ineffectiveSettingWarnings({ virtualization: 'paravirtual', paging: 'shadow-proactive', kernelShadows: 'flush-on-switch' }, LAUNCH_SETTING_NAMES), []);
    });
  });

  it('run --help shows the true defaults and every exit status', () => {
    const result = cli(['run', '--help']);
    assert.equal(result.status, 0);
    const help = result.stdout.replace(/\s+/g, ' ');
    assert.match(help, /--paging <setting> .*\(default: nested under hardware-assist, shadow-on-demand otherwise; no effect under none\)/);
    assert.match(help, /--kernel-shadows <setting> .*\(default separate; no effect under none or hardware-assist\)/);
    assert.match(help, /6 --compare found a divergence/);
    assert.match(help, /7 --show --at: the run ended before the point/);
  });

  describe('--compare', () => {
    const popf = path.join(EXAMPLES, 'popf.g32');
    it('exits 6 when it finds a divergence (trap-and-emulate on popf.g32)', () => {
      const result = cli(['run', popf, '--virtualization', 'trap-and-emulate', '--compare']);
      assert.equal(result.status, 6);
      assert.match(result.stdout, /^divergence under trap-and-emulate/);
    });

    it("exits 0 with none, and says why: binary translation turned the kernel's sensitive instructions into hypervisor calls", () => {
      const result = cli(['run', popf, '--virtualization', 'binary-translation', '--compare']);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /^no divergence/);
      const match =
        /why: binary translation interpreted the guest kernel's code until a block was hot and translated the hot ones \((\d+) blocks? translated\): (\d+) sensitive instructions in pretend kernel mode, interpreted or translated, became calls into the hypervisor/.exec(
          result.stdout,
        );
      assert.ok(match && Number(match[1]) > 0 && Number(match[2]) > 0, result.stdout);
    });

    it('exits 0 with none under trap-and-emulate for a guest without sensitive instructions, and says so', () => {
      const result = cli(['run', path.join(EXAMPLES, 'os/kernel.g32'), '--virtualization', 'trap-and-emulate', '--compare']);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /why: the guest ran no sensitive instruction \(pushf, popf, mov rd, evt\); its \d+ privileged instructions all trapped and were emulated\./);
    });

    it('a paravirtual kernel diverges at its first vmcall (exit 6), and the message says bare hardware has no hypervisor', () => {
      const result = cli(['run', path.join(EXAMPLES, 'os-pv/kernel.g32'), '--virtualization', 'paravirtual', '--compare']);
      assert.equal(result.status, 6);
      assert.match(result.stdout, /at pc 0x[0-9a-f]+: vmcall 0x0\n(.*\n)* {2}vmcall is a hypercall: under paravirtual the hypervisor takes it, while bare hardware has no hypervisor and raises #UD/);
    });

    it('exits 0 with none under hardware assist, and says the sensitive instructions ran natively and how many exits there were', () => {
      const result = cli(['run', popf, '--virtualization', 'hardware-assist', '--compare']);
      assert.equal(result.status, 0);
      const match =
        /why: under hardware assist the guest kernel runs in real kernel mode \(guest mode\), so its (\d+) sensitive instructions \(pushf (\d+), popf (\d+)\) behaved exactly as on bare hardware with no exit; the hypervisor saw only (\d+) exits/.exec(
          result.stdout,
        );
      assert.ok(match, result.stdout);
      assert.equal(Number(match[1]), Number(match[2]) + Number(match[3]));
    });
  });

  describe('counters', () => {
    it('sensitive instructions: the same count (8) under every setting for one guest, as on bare hardware', () => {
      const settings = [
        ['--virtualization', 'none'],
        ...SETTING_CHOICES.map((s) => [
          '--virtualization',
          s.virtualization,
          ...(s.paging ? ['--paging', s.paging] : []),
          ...(s.kernelShadows && s.virtualization !== 'hardware-assist' ? ['--kernel-shadows', s.kernelShadows] : []),
        ]),
      ];
      for (const args of settings) {
        const result = cli(['run', fixture('sensitive.g32'), '--stats', ...args]);
        assert.equal(result.stdout, 'ok', args.join(' '));
        assert.match(result.stderr, /\n {2}sensitive instructions executed by the guest \(pushf, popf, mov rd, evt\) +8\n/, args.join(' '));
      }
    });

    it("under trap-and-emulate the trace's sensitive events and the counter agree", () => {
      const trace = path.join(directory, 'sensitive.jsonl');
      const result = cli(['run', fixture('sensitive.g32'), '--stats', '--virtualization', 'trap-and-emulate', '--trace', trace]);
      const events = fs
        .readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((r) => r.kind === 'sensitive');
      assert.equal(events.length, 8);
      assert.match(result.stderr, /sensitive instructions executed by the guest \(pushf, popf, mov rd, evt\) +8\n/);
    });

    it('--stats names guest and real cr3 loads apart, and prints every counter once', () => {
      const result = cli(['run', path.join(EXAMPLES, 'os/kernel.g32'), '--input-at', '2000:k', '--virtualization', 'trap-and-emulate', '--stats']);
      const names = result.stderr
        .split('\n')
        .slice(1)
        .filter((l) => l.startsWith('  '))
        .map((l) => l.trim().replace(/\s+\d+$/, ''));
      assert.deepEqual(
        names.filter((n, i) => names.indexOf(n) !== i),
        [],
        'a counter printed twice',
      );
      assert.ok(names.includes("guest cr3 loads (the guest kernel's mov cr3)"), names.join('\n'));
      assert.ok(names.includes("real cr3 loads (the real CPU's page-table switches)"));
      assert.ok(!names.includes('cr3 loads'));
    });
  });

  it('page-fault error codes in words', () => {
    assert.equal(describePageFaultError(0), 'not present, read, kernel');
    assert.equal(describePageFaultError(1 | 2 | 4), 'protection, write, user');
    assert.equal(describePageFaultError(16 | 4), 'not present, fetch, user');
  });

  describe('--trace', () => {
    let records: Array<Record<string, unknown>> = [];
    before(() => {
      const trace = path.join(directory, 'os.jsonl');
      const result = cli(['run', path.join(EXAMPLES, 'os/kernel.g32'), '--input-at', '2000:k', '--virtualization', 'trap-and-emulate', '--trace', trace]);
      assert.equal(result.status, 0);
      records = fs
        .readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    });

    it('labels every real cr3 load with the shadow it loaded and the guest cr3', () => {
      const loads = records.filter((r) => r.kind === 'cr3-load');
      assert.ok(loads.length > 10);
      for (const load of loads) {
        assert.equal(load.real, true);
        assert.match(String(load.loaded), /^the (kernel|user) shadow of (guest PD 0x[0-9a-f]{8}|paging off) for guest kernel$/);
        assert.equal(typeof load.guestCr3, 'number');
      }
      assert.ok(loads.some((l) => l.shadow === 'user') && loads.some((l) => l.shadow === 'kernel'));
    });

    it('holds protection faults and shadow drops', () => {
      assert.ok(records.some((r) => r.kind === 'hv:protection-fault' && /protection fault at 0x[0-9a-f]+: `mov evt, r1` in pretend kernel mode, will be emulated/.test(String(r.description))));
      assert.ok(records.some((r) => r.kind === 'hv:shadow-dropped' && Number(r.count) >= 1));
    });

    it('reflected events name the instruction that caused them; page faults carry their error in words', () => {
      const syscall = records.find((r) => r.kind === 'hv:reflected' && r.vector === 48);
      assert.equal(syscall?.instruction, 'syscall');
      assert.match(String(syscall?.description), /system call from pretend user mode/);
      const fault = records.find((r) => r.kind === 'exception' && r.vector === 14);
      assert.match(String(fault?.error), /^(not present|protection), (read|write|fetch), (user|kernel)$/);
    });

    it('a reflected page fault names the faulting store', () => {
      const trace = path.join(directory, 'console.jsonl');
      cli(['run', fixture('unmapped-console.g32'), '--max-instructions', '8000', '--virtualization', 'trap-and-emulate', '--trace', trace]);
      const reflected = fs
        .readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .find((r) => r.kind === 'hv:reflected' && r.vector === 14);
      assert.equal(reflected?.instruction, 'st [0xffff0000], r1');
      assert.match(String(reflected?.description), /#PF page fault at 0xffff0000, error 2 \(not present, write, kernel\), caused by `st \[0xffff0000\], r1`/);
      assert.equal(reflected?.error, 'not present, write, kernel');
    });
  });

  it("the hypervisor pseudocode's iret line switches back to the user shadow", () => {
    const iret = PSEUDOCODE_TEXT.split('\n').find((l) => l.includes('instr is iret'));
    assert.match(iret ?? '', /switch_shadow_page_table\(\).*user shadow/);
  });

  describe("--show and --at: the panels' tables as text", () => {
    const kernel = path.join(EXAMPLES, 'os/kernel.g32');
    it('at the first hidden page fault: the shadow holds the filled page, and the TLB is listed', () => {
      const result = cli(['run', kernel, '--virtualization', 'trap-and-emulate', '--show', 'page-tables,tlb', '--at', 'hidden-page-fault']);
      assert.equal(result.status, 0, result.stderr);
      const filled = /after hidden-page-fault#1 at tick \d+: hidden page fault at (0x[0-9a-f]{8}): shadow filled with machine frame (0x[0-9a-f]{8})/.exec(result.stdout);
      assert.ok(filled, result.stdout);
      const page = (Number(filled[1]) & ~0xfff) >>> 0;
      assert.match(result.stdout, /guest page table: none \(guest cr3 = 0, paging off\)/);
      assert.match(result.stdout, /hypervisor map \(guest-physical frame -> machine frame\): 256 frames/);
      assert.match(
        result.stdout,
        new RegExp(`kernel shadow of paging off \\(active: the real cr3\\): \\d+ entr[a-z]+\\n(  .*\\n)*  0x${page.toString(16).padStart(8, '0')} -> machine ${filled[2]}  writable`),
      );
      assert.match(result.stdout, /\nTLB \(16 entries, \d+ valid; \d+ hits, \d+ misses; real cr3 0x[0-9a-f]{8}\)/);
    });

    it("at the Nth guest cr3 load on bare hardware: the process's page table maps its program page", () => {
      const result = cli(['run', kernel, '--show', 'guest', '--at', 'cr3-load#1']);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /after cr3-load#1 at tick \d+: cr3 load of 0x0000b000/);
      assert.match(result.stdout, /guest page table \(guest cr3 0x0000b000\): \d+ present mappings/);
      assert.match(result.stdout, /\n {2}0x00400000 -> guest-physical 0x00020000 {2}PWU/);
      assert.doesNotMatch(result.stdout, /TLB|hypervisor map/);
    });

    it("with nested paging: --at cr3-load stops at the guest's own (native) cr3 load, and no shadow is listed", () => {
      const result = cli(['run', kernel, '--virtualization', 'hardware-assist', '--show', 'page-tables', '--at', 'cr3-load#2']);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /after cr3-load#2 at tick \d+: cr3 load of 0x0000d000/);
      assert.match(result.stdout, /shadow page tables: none in use with nested paging/);
      assert.doesNotMatch(result.stdout, /shadow \(both modes\)|kernel shadow|user shadow/);
    });

    it("several guests: each guest's tables under its name, the shared TLB once", () => {
      const result = cli(['run', '--machine', path.join(EXAMPLES, 'two-guests.json'), '--virtualization', 'trap-and-emulate', '--show', 'guest,tlb', '--at', 'cr3-load']);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /== guest os ==\nguest page table \(guest cr3 0x0000b000\)/);
      assert.match(result.stdout, /== guest hello ==\nguest page table: none/);
      assert.equal(result.stdout.match(/^TLB \(/gm)?.length, 1);
    });

    it('at a tick', () => {
      const result = cli(['run', kernel, '--show', 'tlb', '--at', '100']);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /^hyperstep: kernel under none, at tick 100; pc 0x[0-9a-f]{8}\n/);
    });

    it('an event that never happens: the tables at the end, a message, exit status 7', () => {
      const result = cli(['run', path.join(EXAMPLES, 'hello.g32'), '--show', 'tlb', '--at', 'cr3-load']);
      assert.equal(result.status, 7);
      assert.match(result.stdout, /cr3-load#1 never happened/);
      assert.match(result.stderr, /the run ended before that event: machine halted/);
    });

    it('bad --show or --at values are usage errors (64)', () => {
      assert.equal(cli(['run', kernel, '--show', 'pages']).status, 64);
      assert.equal(cli(['run', kernel, '--show', 'tlb', '--at', 'no-such-event']).status, 64);
      assert.equal(cli(['run', kernel, '--at', '5']).status, 64);
    });
  });
});
