// The student's journey in a real VS Code (code-server in headless Chromium):
// install the packaged .vsix, open examples/os, press F5, tick the
// protection-fault exception breakpoint, continue until it hits (at the
// faulting line), step into the hypervisor, run to a user program's system call
// (at its line), step back and forward from the Command Palette, open the page
// tables and TLB panels and check the rows they show. Screenshots of each step go to
// docs/screenshots/ (for the README). See ../shared/tools/e2e-notes.md.
// Run by `npm run test:e2e` after `npm run package`. Waits on conditions only.

import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, Frame, Locator, Page } from 'playwright-core';

const ROOT = resolve(__dirname, '../../..');
const SETUP = process.env.HYPERSTEP_E2E_SETUP ?? resolve(ROOT, '../shared/tools/setup-code-server.sh');
const VSIX = join(ROOT, 'hyperstep.vsix');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
const STEP_TIMEOUT = 60_000;
/** examples/os/trap.g32: `mov evt, r1` in setup_vectors, the kernel's first privileged instruction. */
const PROTECTION_FAULT_LINE = 16;
/** examples/os/user1.g32: the `syscall` of its first write. */
const USER1_FIRST_SYSCALL_LINE = 26;

interface Tools {
  NODE24: string;
  CODE_SERVER: string;
  CHROMIUM: string;
}

function setUpCodeServer(): Tools | undefined {
  try {
    const output = execFileSync('bash', [SETUP], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tools = Object.fromEntries([...output.matchAll(/^(NODE24|CODE_SERVER|CHROMIUM)=(.*)$/gm)].map((m) => [m[1], m[2].trim()]));
    if (!tools.NODE24 || !tools.CODE_SERVER || !tools.CHROMIUM) throw new Error('it printed no NODE24/CODE_SERVER/CHROMIUM');
    return tools as unknown as Tools;
  } catch (error) {
    const why = `${SETUP} failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    // In CI a skipped journey would pass without running what it claims.
    if (process.env.CI === 'true') throw new Error(`cannot set up code-server: ${why}`);
    console.log(`test:e2e skipped: ${why}`);
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = STEP_TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

class Journey {
  private step = 0;
  constructor(readonly page: Page) {}

  async shot(name: string): Promise<void> {
    this.step += 1;
    await this.page.screenshot({ path: join(SHOTS, `${String(this.step).padStart(2, '0')}-${name}.png`) });
    console.log(`  ✔ ${name}`);
  }

  /** Runs a palette command, picking its row by exact label (plain Enter may run another row). */
  async command(label: string, timeoutMs = STEP_TIMEOUT): Promise<void> {
    const page = this.page;
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${label}`);
    const row = page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click();
  }

  /** A palette command that only tidies the window: skipped if this VS Code names it otherwise. */
  async tryCommand(label: string): Promise<void> {
    await this.command(label, 5000).catch(async () => {
      await this.page.keyboard.press('Escape');
      console.log(`  (no command "${label}")`);
    });
  }

  async waitForCommand(label: string): Promise<void> {
    const page = this.page;
    await until(`the command "${label}"`, async () => {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${label}`);
      const found = await page
        .locator('.quick-input-list .label-name', { hasText: label })
        .first()
        .isVisible({ timeout: 2000 })
        .catch(() => false);
      await page.keyboard.press('Escape');
      return found;
    });
  }

  /** The Call Stack view's header (it shows the stop description of a one-thread session) or one of its rows. */
  callStack(text: RegExp): Locator {
    return this.page.locator('.pane-header:has-text("Call Stack"), .debug-call-stack .monaco-list-row').filter({ hasText: text }).first();
  }

  /** The Call Stack view's top frame: its name, file and line (as the view shows them, "16" or "16:1"). */
  async topFrame(): Promise<{ name: string; file: string; line: string }> {
    const row = this.page.locator('.debug-call-stack .monaco-list-row .stack-frame').first();
    return {
      name: ((await row.locator('.expression, .label').first().textContent({ timeout: 2000 })) ?? '').trim(),
      file: ((await row.locator('.file-name').textContent({ timeout: 2000 })) ?? '').trim(),
      line: ((await row.locator('.line-number').textContent({ timeout: 2000 })) ?? '').trim(),
    };
  }

  /** Waits until the top frame is at `file`:`line`; the error says where it is instead. */
  async expectTopFrame(file: string, line: number): Promise<void> {
    let last: { name: string; file: string; line: string } | undefined;
    const deadline = Date.now() + STEP_TIMEOUT;
    for (;;) {
      last = await this.topFrame().catch(() => last);
      if (last && last.file === file && new RegExp(`^${line}(:\\d+)?$`).test(last.line)) return;
      if (Date.now() > deadline) throw new Error(`the top frame is not at ${file}:${line}; the Call Stack shows ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Ticks or unticks an exception filter in the Breakpoints view. */
  async setFilter(label: string, isOn: boolean): Promise<void> {
    const row = this.page.locator('.debug-breakpoints .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ timeout: STEP_TIMEOUT });
    const box = row.locator('input[type=checkbox]').first();
    if (await box.count()) await box.setChecked(isOn);
    else if ((await row.getAttribute('aria-checked')) !== String(isOn)) await row.locator('.monaco-custom-toggle, .codicon').first().click();
  }

  /** The frame of a hyperstep panel's page (inside VS Code's webview iframes). */
  async panel(kind: string): Promise<Frame> {
    return until(`the ${kind} panel`, async () => {
      for (const frame of this.page.frames()) {
        const panel = await frame.evaluate(() => document.body?.dataset.panel).catch(() => undefined);
        if (panel === kind) return frame;
      }
      return undefined;
    });
  }
}

async function main(): Promise<void> {
  if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run npm run package first`);
  const tools = setUpCodeServer();
  if (!tools) return;
  mkdirSync(SHOTS, { recursive: true });
  // Each run rewrites its own screenshots; a failed run's last one goes (06-translation-cache-panel.png, which the README shows, is not the journey's).
  for (const old of readdirSync(SHOTS).filter((f) => /^\d\d-failure\.png$/.test(f))) rmSync(join(SHOTS, old));
  const temp = mkdtempSync(join(tmpdir(), 'hyperstep-e2e-'));
  const userData = join(temp, 'user-data');
  const extensions = join(temp, 'extensions');
  const workspace = join(temp, 'os');
  cpSync(join(ROOT, 'examples/os'), workspace, { recursive: true });
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(
    join(workspace, '.vscode', 'launch.json'),
    JSON.stringify(
      {
        version: '0.2.0',
        configurations: [
          {
            type: 'hyperstep',
            request: 'launch',
            name: 'os under trap-and-emulate',
            program: '${workspaceFolder}/kernel.g32',
            virtualization: 'trap-and-emulate',
            paging: 'shadow-on-demand',
            kernelShadows: 'separate',
            input: 'k',
            stopOnEntry: true,
          },
        ],
      },
      null,
      2,
    ),
  );
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'chat.disableAIFeatures': true,
        'workbench.tips.enabled': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        'workbench.colorTheme': 'Default Dark Modern',
        'editor.minimap.enabled': false,
        'window.commandCenter': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'update.showReleaseNotes': false,
      },
      null,
      2,
    ),
  );

  execFileSync(tools.NODE24, [tools.CODE_SERVER, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', VSIX], { stdio: 'inherit' });
  const port = await freePort();
  const server: ChildProcess = spawn(
    tools.NODE24,
    [
      tools.CODE_SERVER,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--reconnection-grace-time',
      '5',
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensions,
      workspace,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let serverLog = '';
  server.stdout?.on('data', (d) => (serverLog += d));
  server.stderr?.on('data', (d) => (serverLog += d));
  const browser = await chromium.launch({ executablePath: tools.CHROMIUM, args: CHROMIUM_ARGS });
  let journey: Journey | undefined;
  try {
    await until('code-server to answer', async () => (await fetch(`http://127.0.0.1:${port}/`)).status < 500);
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    journey = new Journey(page);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });

    // Open the kernel (the language server starts on it), then the Run view; wait until debugging can start.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('kernel.g32');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'kernel.g32' }).first().click();
    await page.locator('.monaco-editor .view-lines', { hasText: 'a small multi-process operating system' }).first().waitFor({ timeout: STEP_TIMEOUT });
    await page.keyboard.press('Control+Shift+D');
    await journey.waitForCommand('Debug: Start Debugging');
    await journey.waitForCommand('hyperstep: Open TLB');

    await page.keyboard.press('F5');
    await journey.callStack(/entry/i).waitFor({ timeout: STEP_TIMEOUT });
    await journey.shot('paused-on-entry');

    // The Breakpoints view lists the adapter's exception filters: tick the protection fault.
    // The first #GP is the kernel's first privileged instruction, `mov evt, r1` in trap.g32, held before it is emulated.
    await journey.setFilter('Protection fault', true);
    await page.keyboard.press('F5');
    await journey.callStack(/protection fault|#GP|exception/i).waitFor({ timeout: STEP_TIMEOUT });
    await journey.expectTopFrame('trap.g32', PROTECTION_FAULT_LINE);
    // VS Code shows the exception widget when the top frame's editor gets the focus; the panel opening
    // beside it can take the focus first, so focus the frame from the Call Stack until the widget shows.
    const exceptionWidget = page.locator('.exception-widget');
    await until('the exception widget', async () => {
      if (await exceptionWidget.isVisible()) return true;
      await page.locator('.debug-call-stack .monaco-list-row .stack-frame').first().click();
      return exceptionWidget.waitFor({ state: 'visible', timeout: 3000 }).then(
        () => true,
        () => false,
      );
    });
    const widgetText = (await exceptionWidget.textContent()) ?? '';
    if (!/protection fault at 0x000011d8: `mov evt, r1` in pretend kernel mode, will be emulated/.test(widgetText)) throw new Error(`the exception widget says: ${widgetText}`);
    await journey.shot('paused-on-protection-fault');

    // Step into the trapping instruction: the hypervisor's frame appears above the guest's.
    await page.keyboard.press('F11');
    await journey.callStack(/hypervisor/i).waitFor({ timeout: STEP_TIMEOUT });
    await journey.shot('stepped-into-the-hypervisor');

    // The page tables panel opened on the first stop; fill it at a stop with paging on:
    // untick the filter and run to user1's first system call (user1.g32, `syscall`).
    await journey.setFilter('Protection fault', false);
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('user1.g32');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'user1.g32' }).first().click();
    await page.locator('.monaco-editor .view-lines', { hasText: 'u1_loop' }).first().waitFor({ timeout: STEP_TIMEOUT });
    // Go to the line (clicking it may hit the sticky-scroll header over it), then toggle its breakpoint.
    await page.keyboard.press('Control+G');
    const goTo = page.locator('.quick-input-widget input');
    await goTo.waitFor({ state: 'visible' });
    await goTo.fill(`:${USER1_FIRST_SYSCALL_LINE}`);
    await page.keyboard.press('Enter');
    await until(`the cursor on line ${USER1_FIRST_SYSCALL_LINE}`, async () => new RegExp(`Ln ${USER1_FIRST_SYSCALL_LINE},`).test((await page.locator('.statusbar').textContent()) ?? ''));
    await page.keyboard.press('F9');
    await page.keyboard.press('F5');
    await journey.callStack(/breakpoint/i).waitFor({ timeout: STEP_TIMEOUT });
    await journey.expectTopFrame('user1.g32', USER1_FIRST_SYSCALL_LINE);
    // Step back from the Command Palette, and forward again over the same instruction.
    await journey.command('hyperstep: Step Back');
    await journey.expectTopFrame('user1.g32', USER1_FIRST_SYSCALL_LINE - 1);
    await page.keyboard.press('F10');
    await journey.expectTopFrame('user1.g32', USER1_FIRST_SYSCALL_LINE);

    const pageTables = await journey.panel('pageTables');
    await pageTables.locator('.vtable[aria-label^="Guest"] .vrow').first().waitFor({ timeout: STEP_TIMEOUT });
    const header = (await pageTables.locator('header').textContent()) ?? '';
    if (!/trap-and-emulate/.test(header)) throw new Error(`page tables header: ${header}`);
    // Click the user page in the shadow (it is in view) and read its walk through all three tables.
    const shadowRow = pageTables.locator('.vtable[aria-label^="Shadow"] .vrow', { hasText: '0x00400000' }).first();
    await shadowRow.waitFor({ timeout: STEP_TIMEOUT });
    const machine = ((await shadowRow.locator('[data-col="ma"]').textContent()) ?? '?').replace(/^0x/, '');
    await shadowRow.locator('[data-col="va"]').click();
    const walk = await until('the walk of 0x00400000', async () => {
      const steps = await pageTables.locator('.walk li').allTextContents();
      return steps.length >= 2 ? steps : undefined;
    });
    if (!walk.some((step) => step.includes(`0x${machine}`))) throw new Error(`the walk ${JSON.stringify(walk)} does not reach machine ${machine}`);
    if ((await pageTables.locator('.vrow.is-selected').count()) < 2) throw new Error('the clicked page is not marked across the tables');
    // Room for the panel in the screenshots: hide the side bar and the bottom panel.
    await journey.tryCommand('View: Toggle Primary Side Bar Visibility');
    await journey.tryCommand('View: Toggle Panel Visibility');
    await journey.shot('page-tables-panel');

    await journey.command('hyperstep: Open TLB');
    const tlb = await journey.panel('tlb');
    await tlb.locator('.cards').waitFor({ timeout: STEP_TIMEOUT });
    // One row per entry in use, and the user page's row holds the frame the shadow gives it.
    const inUse = await until('the TLB entries card', async () => /^(\d+) \/ 16$/.exec(((await tlb.locator('[data-card="entries in use"] .big').textContent()) ?? '').trim()) ?? undefined);
    const rows = await until('the TLB rows', async () => {
      const cells = await tlb
        .locator('.vtable .vrow')
        .evaluateAll((elements) => elements.map((row) => Object.fromEntries(Array.from(row.querySelectorAll('[data-col]')).map((cell) => [cell.getAttribute('data-col'), cell.textContent ?? '']))));
      return cells.length > 0 ? cells : undefined;
    });
    if (rows.length !== Number(inUse[1])) throw new Error(`the TLB panel shows ${rows.length} rows for ${inUse[1]} entries in use`);
    const userRow = rows.find((row) => row.va === '0x00400000');
    if (!userRow || userRow.frame !== `0x${machine}`) throw new Error(`no TLB row 0x00400000 -> 0x${machine}: ${JSON.stringify(rows)}`);
    await journey.shot('tlb-panel');
    console.log('test:e2e passed');
  } catch (error) {
    await journey?.shot('failure').catch(() => undefined);
    console.error(serverLog.split('\n').slice(-20).join('\n'));
    throw error;
  } finally {
    await browser.close();
    server.kill();
    rmSync(temp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`test:e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
