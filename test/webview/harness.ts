// Loads a panel's real page (panelHtml from src/extension/panels/html.ts, the
// bundled dist/webview script, a strict CSP) into headless Chromium, served
// from a tiny HTTP server on 127.0.0.1, with a fake `acquireVsCodeApi` that
// records what the panel posts. Themes are applied the way VS Code applies
// them: `--vscode-*` variables on the root element.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';
import { panelHtml } from '../../src/extension/panels/html';
import type { FromWebviewMessage, PanelKind, PanelSnapshot, ToWebviewMessage } from '../../src/protocol/panelMessages';

export const ROOT = resolve(__dirname, '../../..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
/**
 * Chromium as `.ci/run` finds it (`command -v chromium`): $CHROMIUM if set,
 * else the first `chromium` on PATH; undefined when there is none.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM) return env.CHROMIUM;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'chromium');
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there, or not executable: the next directory
    }
  }
  return undefined;
}

export const CHROMIUM = findChromium();
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

export function loadFixture(): PanelSnapshot {
  return JSON.parse(readFileSync(join(ROOT, 'test/webview/fixtures/snapshot-os-hidden-fault.json'), 'utf8')) as PanelSnapshot;
}

export type Theme = 'dark' | 'light';

const THEMES: Record<Theme, Record<string, string>> = {
  dark: {
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    disabledForeground: '#cccccc80',
    'editor-background': '#1f1f1f',
    'editor-foreground': '#cccccc',
    'panel-border': '#2b2b2b',
    'widget-border': '#313131',
    'sideBarSectionHeader-background': '#181818',
    'list-hoverBackground': '#2a2d2e',
    'list-inactiveSelectionBackground': '#37373d',
    focusBorder: '#0078d4',
    'diffEditor-insertedTextBackground': '#9ccc2c33',
    'gitDecoration-addedResourceForeground': '#81b88b',
    'inputValidation-errorBackground': '#5a1d1d',
    errorForeground: '#f85149',
    'editor-stackFrameHighlightBackground': '#ffff0033',
    'debugIcon-pauseForeground': '#75beff',
    'charts-orange': '#d18616',
    'charts-blue': '#3794ff',
    'charts-purple': '#b180d7',
    'charts-green': '#89d185',
    'charts-red': '#f14c4c',
    'charts-yellow': '#cca700',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc',
    'dropdown-border': '#3c3c3c',
    'textLink-foreground': '#4daafc',
    'textCodeBlock-background': '#2b2b2b',
    'testing-iconPassed': '#73c991',
  },
  light: {
    foreground: '#3b3b3b',
    descriptionForeground: '#717171',
    disabledForeground: '#61616180',
    'editor-background': '#ffffff',
    'editor-foreground': '#3b3b3b',
    'panel-border': '#e5e5e5',
    'widget-border': '#e5e5e5',
    'sideBarSectionHeader-background': '#f8f8f8',
    'list-hoverBackground': '#f2f2f2',
    'list-inactiveSelectionBackground': '#e4e6f1',
    focusBorder: '#005fb8',
    'diffEditor-insertedTextBackground': '#9ccc2c40',
    'gitDecoration-addedResourceForeground': '#587c0c',
    'inputValidation-errorBackground': '#f2dede',
    errorForeground: '#a1260d',
    'editor-stackFrameHighlightBackground': '#ffff6673',
    'debugIcon-pauseForeground': '#007acc',
    'charts-orange': '#d18616',
    'charts-blue': '#1a85ff',
    'charts-purple': '#652d90',
    'charts-green': '#388a34',
    'charts-red': '#e51400',
    'charts-yellow': '#bf8803',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b',
    'dropdown-border': '#cecece',
    'textLink-foreground': '#005fb8',
    'textCodeBlock-background': '#f8f8f8',
    'testing-iconPassed': '#388a34',
  },
};
const FONTS = {
  'font-family': '"Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", "DejaVu Sans", sans-serif',
  'font-size': '13px',
  'editor-font-family': '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
  'editor-font-size': '12px',
};

/** One browser and one page server for a test file. */
export class PanelHarness {
  private server?: Server;
  private browser?: Browser;
  origin = '';

  static isAvailable(): boolean {
    return CHROMIUM !== undefined && existsSync(CHROMIUM);
  }

  /**
   * In a `before` hook: skips the suite with one line where Chromium is
   * missing, except in CI (CI=true), where a panel test that does not run is a
   * failure.
   */
  static requireChromium(context: Mocha.Context): void {
    if (PanelHarness.isAvailable()) return;
    const why = `no Chromium: CHROMIUM is not set and no chromium is on PATH (apt-get install -y chromium)`;
    if (process.env.CI === 'true') throw new Error(`${why}; in CI the panel tests must run`);
    console.log(`    skipped: ${why}`);
    context.skip();
  }

  async start(): Promise<void> {
    // The panels' scripts are bundled here, so the tests need no separate build step.
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-webview.mjs')], { cwd: ROOT, stdio: 'inherit' });
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', this.origin);
      const page = /^\/page\/(\w+)$/.exec(url.pathname);
      const script = /^\/webview\/(\w+\.js(?:\.map)?)$/.exec(url.pathname);
      if (page) {
        const nonce = randomBytes(16).toString('base64');
        const html = panelHtml({ kind: page[1] as PanelKind, cspSource: this.origin, nonce, scriptUri: `${this.origin}/webview/${page[1]}.js` });
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      } else if (script && existsSync(join(ROOT, 'dist/webview', script[1]))) {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(ROOT, 'dist/webview', script[1])));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  /** Opens a panel's page in a fresh page, themed, and waits until its script said "ready". */
  async open(kind: PanelKind, theme: Theme = 'dark', size = { width: 1280, height: 720 }): Promise<PanelPage> {
    const page = await this.browser!.newPage({ viewport: size, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      w.__posted = [];
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (event) => (w.__violations as string[]).push(`${event.violatedDirective} ${event.blockedURI}`));
      w.acquireVsCodeApi = () => ({
        postMessage: (message: unknown) => (w.__posted as unknown[]).push(message),
        getState: () => undefined,
        setState: () => undefined,
      });
    });
    await page.goto(`${this.origin}/page/${kind}`);
    const panel = new PanelPage(page, errors);
    await panel.setTheme(theme);
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'));
    return panel;
  }
}

export class PanelPage {
  constructor(
    readonly page: Page,
    readonly errors: string[],
  ) {}

  async setTheme(theme: Theme): Promise<void> {
    const variables = Object.fromEntries(Object.entries({ ...FONTS, ...THEMES[theme] }).map(([name, value]) => [`--vscode-${name}`, value]));
    await this.page.evaluate(
      ({ variables, theme }) => {
        for (const [name, value] of Object.entries(variables)) document.documentElement.style.setProperty(name, value);
        document.body.classList.remove('vscode-dark', 'vscode-light');
        document.body.classList.add(`vscode-${theme}`);
      },
      { variables, theme },
    );
  }

  /** Posts a message as the extension would (webview.postMessage). */
  async send(message: ToWebviewMessage): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message);
  }

  async sendSnapshot(snapshot: PanelSnapshot): Promise<void> {
    const count = await this.page.evaluate(() => Number(document.body.dataset.snapshotCount ?? 0));
    await this.send({ type: 'snapshot', snapshot });
    await this.page.waitForFunction((n) => Number(document.body.dataset.snapshotCount ?? 0) > n, count);
  }

  async posted(): Promise<FromWebviewMessage[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: FromWebviewMessage[] }).__posted);
  }

  async violations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}

/**
 * One Chromium for a mocha suite: started before its tests, stopped after,
 * and the suite skipped with one line where Chromium is missing (failed in CI).
 */
export function usePanelHarness(): PanelHarness {
  const harness = new PanelHarness();
  before(async function () {
    PanelHarness.requireChromium(this);
    await harness.start();
  });
  after(() => harness.stop());
  return harness;
}
