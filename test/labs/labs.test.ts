// The labs of labs/ and `hyperstep check`: every lab's check passes on its
// reference solution (test/labs/solutions/<lab>/: the completed guest and a
// filled answers file) and fails on the lab as shipped, with a message that
// names the failed expectation. Each lab is checked twice in-process; the exit
// statuses are checked through the real CLI on one lab.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkCommand } from '../../src/cli/check';
import { checkLab, CheckResult } from '../../src/labs/checkLab';
import { LabError } from '../../src/labs/labDefinition';
import { parseAnswers } from '../../src/labs/answers';

const REPO = path.resolve(__dirname, '../../..');
const MAIN = path.resolve(__dirname, '../../src/cli/main.js');

const readFile = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** The labs in the lecture's order, and what the lab as shipped must be told first. */
const LABS: Array<{ folder: string; firstFailure: RegExp }> = [
  {
    folder: '01-privileged',
    firstFailure:
      /program: under trap-and-emulate .* your guest should print "kernel: testing evt with brk\\nkernel: brk reached my handler.*it printed "kernel: testing evt with brk\\n" \(line 2 should be .*Hint: without evt/,
  },
  { folder: '02-reflect', firstFailure: /program: under trap-and-emulate .* your guest should print "hi!\\n.*; it printed "h" .*Hint: the system-call handler must return/ },
  {
    folder: '03-io',
    firstFailure:
      /program: under trap-and-emulate, with the input "hello\\n" .* your guest should print "> hello\\n"; it printed ">  +"… \(\d+ more bytes\).*The run ended with: instruction limit of 20000 reached.*Hint: poll port 0x64/,
  },
  {
    folder: '04-shadow-on-demand',
    firstFailure: /question 1 \(before_paging\): not answered yet: write your prediction of hidden page faults before the first mov cr3 as "before_paging: N" in answers.txt/,
  },
  {
    folder: '05-shadow-proactive',
    firstFailure: /program: under trap-and-emulate with proactive shadows .* your guest should print "117\\n"; it printed "112\\n" \(line 1 should be "117" but is "112"\)/,
  },
  { folder: '06-kernel-user-shadows', firstFailure: /question 1 \(guest_switches\): not answered yet/ },
  { folder: '07-popf', firstFailure: /program: under paravirtual .* your guest should print "tick 1\\ntick 2\\ntick 3\\ndone\\n"; it printed "interrupts lost: IF stayed 0 after popf\\n"/ },
  { folder: '08-nested-paging', firstFailure: /question 1 \(nested_hidden\): not answered yet/ },
];

function solution(folder: string): { guestFile?: string; answersFile: string } {
  const dir = path.join(REPO, 'test/labs/solutions', folder);
  const guest = fs.readdirSync(dir).find((f) => f.endsWith('.g32'));
  return { guestFile: guest && path.join(dir, guest), answersFile: path.join(dir, 'answers.txt') };
}

function failures(results: CheckResult[]): string[] {
  return results.filter((r) => !r.isOk).map((r) => `${r.subject}: ${r.message}`);
}

describe('labs: hyperstep check', function () {
  this.timeout(60000);

  it("labs/ holds the eight labs in the lecture's order, each with a README, a lab.json and an answers file", () => {
    const folders = fs
      .readdirSync(path.join(REPO, 'labs'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    assert.deepEqual(
      folders,
      LABS.map((l) => l.folder),
    );
    for (const folder of folders) {
      for (const file of ['README.md', 'lab.json', 'answers.txt']) assert.ok(fs.existsSync(path.join(REPO, 'labs', folder, file)), `${folder}/${file}`);
    }
  });

  for (const { folder, firstFailure } of LABS) {
    it(`${folder}: the check passes on the reference solution and fails on the lab as shipped`, () => {
      const lab = path.join(REPO, 'labs', folder);
      const solved = checkLab(lab, { readFile, ...solution(folder) });
      assert.deepEqual(failures(solved.results), []);
      assert.ok(solved.results.length >= 3);

      const shipped = checkLab(lab, { readFile });
      const failed = failures(shipped.results);
      assert.match(failed[0] ?? 'no failure', firstFailure);
      // The answers file as shipped is blank: every question is unanswered.
      assert.equal(failed.filter((f) => f.includes('not answered yet')).length, shipped.lab.questions.length);
    });
  }

  it('a wrong prediction says what was predicted, what the tool measured, and a hint', () => {
    const lab = path.join(REPO, 'labs/04-shadow-on-demand');
    const answers = path.join(lab, 'answers.txt');
    const report = checkLab(lab, { readFile: (file) => (file === answers ? 'before_paging: 3\nvisit_b: 4\nsecond_visit_a: 3\ndrops: three\nhidden_total: 20\n' : readFile(file)) });
    assert.deepEqual(failures(report.results), [
      'question 1 (before_paging): you predicted 3 hidden page faults before the first mov cr3; the tool measured 9 under trap-and-emulate with on-demand shadows (trap-and-emulate / shadow-on-demand / separate). Hint: one per distinct page the kernel touches while building its tables: its code page, its stack page and every page-table page it writes.',
      'question 4 (drops): answers.txt line 4: "three" is not a whole number; write the number of shadow drops.',
    ]);
  });

  it("a guest that does not assemble fails the program check with the assembler's message", () => {
    const lab = path.join(REPO, 'labs/01-privileged');
    const broken = path.join(lab, 'broken.g32');
    const report = checkLab(lab, { readFile: (file) => (file === broken ? '_start: mov r1,\n' : readFile(file)), guestFile: broken });
    assert.match(failures(report.results)[0], /^program: your guest .*broken\.g32 does not assemble:\n {4}.*broken\.g32:1:/);
  });

  it('a mistake in lab.json is a LabError naming the field', () => {
    const lab = path.join(REPO, 'labs/01-privileged');
    const source = JSON.parse(readFile(path.join(lab, 'lab.json'))!);
    source.runs.bare.virtualization = 'emulated';
    assert.throws(
      () => checkLab(lab, { readFile: (file) => (file.endsWith('lab.json') ? JSON.stringify(source) : readFile(file)) }),
      (e: unknown) => e instanceof LabError && /runs\.bare\.virtualization must be one of none, trap-and-emulate/.test(e.message),
    );
  });

  it('answers: blanks, "?" and comments are unanswered; other text is not a number', () => {
    const { answers, problems } = parseAnswers('# comment\na:\nb: ?\nc: 12 # twelve\nd: 0x10\ne: lots\nnot an answer\n');
    assert.deepEqual(
      [...answers].map(([k, a]) => [k, a.value]),
      [
        ['a', undefined],
        ['b', undefined],
        ['c', 12],
        ['d', 16],
        ['e', NaN],
      ],
    );
    assert.deepEqual(problems, ['line 7: expected "key: number", found "not an answer"']);
  });

  it('--measurements prints what the overhead exercise measures under each kernel-shadow setting', () => {
    let out = '';
    const status = checkCommand(
      { folder: path.join(REPO, 'labs/06-kernel-user-shadows'), isMeasurements: true },
      {
        stdout: (t) => {
          out += t;
        },
        stderr: (t) => {
          out += t;
        },
        readFile,
      },
    );
    assert.equal(status, 0);
    const [separate, flush] = out.split('\nrun "').slice(1);
    const row = (text: string, key: string) => Number(new RegExp(`\\(${key}\\) +(\\d+)\\n`).exec(text)?.[1]);
    assert.match(separate, /^separate": .*\(trap-and-emulate \/ shadow-on-demand \/ separate\).*\n {2}counted from user1's read system call to the iret that returns into user1\n/);
    assert.match(flush, /^flush-on-switch": .*\(trap-and-emulate \/ shadow-on-demand \/ flush-on-switch\)/);
    const keys = ['guestCr3Loads', 'realCr3Loads', 'realTlbFlushes', 'modeSwitches'];
    assert.deepEqual(
      keys.map((k) => row(separate, k)),
      [2, 6, 2, 4],
    );
    assert.deepEqual(
      keys.map((k) => row(flush, k)),
      [2, 2, 6, 4],
    );
    assert.ok(row(flush, 'hiddenPageFaults') > row(separate, 'hiddenPageFaults'), out);
  });

  describe('through the command line', () => {
    function cli(args: string[]) {
      const result = spawnSync(process.execPath, [MAIN, 'check', ...args], { cwd: REPO, timeout: 60000 });
      return { status: result.status, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
    }

    it('exit 0 and a pass summary when every check holds', () => {
      const { guestFile, answersFile } = solution('02-reflect');
      const result = cli(['labs/02-reflect', '--file', path.relative(REPO, guestFile!), '--answers', path.relative(REPO, answersFile)]);
      assert.equal(result.stderr, '');
      assert.equal(result.status, 0);
      assert.match(result.stdout, /^lab 02: reflecting system calls and faults\nchecking test\/labs\/solutions\/02-reflect\/kernel\.g32\n/);
      assert.match(result.stdout, /\nlab 02 passed: all 7 checks hold\n$/);
    });

    it('exit 1 with each failed expectation when a check fails', () => {
      const result = cli(['labs/02-reflect']);
      assert.equal(result.status, 1);
      assert.match(result.stdout, /\n {2}FAIL {2}lab 02, program: under trap-and-emulate .* your guest should cause exactly 4 system calls trapped and reflected to your kernel .*; it caused 1\./);
      assert.match(result.stdout, /\nlab 02 not passed yet: 6 of 7 checks failed\n$/);
    });

    it('exit 64 with a clear message for a folder that is not a lab, or a missing file', () => {
      const notLab = cli(['labs']);
      assert.deepEqual({ status: notLab.status, stdout: notLab.stdout }, { status: 64, stdout: '' });
      assert.equal(notLab.stderr, 'hyperstep: labs is not a lab folder (it has no lab.json); a lab is one of the folders of labs/, e.g. labs/01-privileged\n');
      const nowhere = cli(['labs/99-nowhere']);
      assert.deepEqual(
        { status: nowhere.status, stderr: nowhere.stderr },
        { status: 64, stderr: 'hyperstep: labs/99-nowhere does not exist; a lab is one of the folders of labs/, e.g. labs/01-privileged\n' },
      );
      const missing = cli(['labs/01-privileged', '--file', 'nowhere.g32']);
      assert.deepEqual({ status: missing.status, stderr: missing.stderr }, { status: 64, stderr: 'hyperstep: cannot read nowhere.g32\n' });
      const noFolder = cli([]);
      assert.equal(noFolder.status, 64);
      assert.match(noFolder.stderr, /missing required argument 'lab-folder'/);
    });
  });
});
