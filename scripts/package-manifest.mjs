// Writes the extension's part of package.json: the debugger, breakpoints,
// commands, menus, settings and walkthrough contributions, the activation events, the
// workspace-trust capability and the packaging scripts. Other keys (and the
// `languages` and `grammars` contributions) belong to others and are kept as
// they are, so this can be re-run at any time: `npx tsc -b && node scripts/package-manifest.mjs`
// (`--check` only reports whether package.json is what this writes; a test runs it).
// Launch attributes must match `LaunchConfig` in src/debug (the adapter parses them).
// The settings' names and descriptions and the memory limit come from the
// compiled sources (src/hypervisor/settings.ts, src/machine/memory.ts), the one copy of each.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'package.json');
const original = readFileSync(file, 'utf8');
const pkg = JSON.parse(original);

const compiled = (path) => {
  const full = join(root, 'out', path);
  if (!existsSync(full)) {
    console.error(`package-manifest: ${full} is missing: run \`npx tsc -b\` first`);
    process.exit(1);
  }
  return createRequire(import.meta.url)(full);
};
const settings = compiled('src/hypervisor/settings.js');
const { MAX_MEMORY_BYTES } = compiled('src/machine/memory.js');
const { MAX_TLB_ENTRIES } = compiled('src/machine/tlb.js');
const { HISTORY_BYTE_BUDGET } = compiled('src/debug/history.js');
const { PANELS } = compiled('src/protocol/panels.js');

/** A `string` attribute whose values and their descriptions are one of the lists of settings.ts. */
const settingAttribute = (names, text) => ({
  type: 'string',
  enum: [...names],
  enumDescriptions: names.map((name) => text[name].description),
});

const virtualization = {
  ...settingAttribute(settings.VIRTUALIZATIONS, settings.VIRTUALIZATION_TEXT),
  default: settings.DEFAULT_VIRTUALIZATION,
  description: 'How the guest runs (docs/machine.md, "Virtualization settings").',
};
const paging = {
  ...settingAttribute(settings.PAGING_SETTINGS, settings.PAGING_TEXT),
  default: 'shadow-on-demand',
  description: 'How guest virtual memory is virtualized (ignored with virtualization "none"). Unset, hardware-assist uses nested and the other settings shadow-on-demand.',
};
const kernelShadows = {
  ...settingAttribute(settings.KERNEL_SHADOWS, settings.KERNEL_SHADOWS_TEXT),
  default: settings.DEFAULT_KERNEL_SHADOWS,
  description: 'How shadow page tables keep kernel-only pages away from guest user mode.',
};

const launchProperties = {
  program: {
    type: 'string',
    description: 'The program to debug: a .g32 source file (assembled at launch) or a machine description .json listing several guests.',
    default: '${file}',
  },
  virtualization,
  paging,
  kernelShadows,
  tlbEntries: { type: 'integer', minimum: 0, maximum: MAX_TLB_ENTRIES, default: 16, description: 'Number of TLB entries (0 = no TLB).' },
  costModel: {
    type: 'string',
    enum: ['first-gen', 'modern'],
    enumDescriptions: [
      'First-generation hardware assist (2006): exits of about 2,000 cycles, untagged TLBs, two-dimensional walks without page-walk caches. The hardware of the lecture and of Adams & Agesen (ASPLOS 2006).',
      'Modern hardware: exits of a few hundred cycles, tagged TLBs (VPID/ASID), page-walk caches.',
    ],
    default: 'first-gen',
    description: 'Which hardware the estimated cycles of the costs panel price (docs/hypervisor.md, "Costs", cites each figure).',
  },
  translationThreshold: {
    type: 'integer',
    minimum: 0,
    maximum: 1000000000,
    default: 32,
    description: 'Binary translation: how many times a block runs, interpreted, before it is translated (docs/hypervisor.md, "Binary translation"). 0 or 1: translate every block on first sight.',
  },
  memory: {
    type: 'integer',
    minimum: 4096,
    maximum: MAX_MEMORY_BYTES,
    multipleOf: 4096,
    default: 1048576,
    description: `Guest RAM in bytes, a multiple of 4096 (default 1 MiB, at most ${MAX_MEMORY_BYTES / 2 ** 30} GiB: the simulated machine's RAM, shared by all guests and the hypervisor).`,
  },
  input: {
    type: ['string', 'array'],
    items: {
      type: 'object',
      required: ['text'],
      properties: { tick: { type: 'integer', minimum: 0, description: 'Tick at which the text joins the keyboard queue.' }, text: { type: 'string', description: 'The bytes to type.' } },
    },
    default: '',
    description:
      'Keyboard input: a string typed at tick 0, or a list of { "tick": N, "text": "..." } typed at those ticks. More can be typed while debugging with "hyperstep: Send Keyboard Input to the Guest".',
  },
  stopOnEntry: { type: 'boolean', default: true, description: 'Stop at the guest entry point before the first instruction.' },
  maxInstructions: { type: 'integer', minimum: 1, default: 10000000, description: 'Stop the run after this many retired instructions.' },
  historySize: {
    type: 'integer',
    minimum: 0,
    maximum: 100000,
    default: 32,
    description: `Snapshots kept for "Step Back" and "Reverse Continue"; more makes stepping back faster and uses more memory, at most ${HISTORY_BYTE_BUDGET / 2 ** 20} MiB in all (0: replay from the start every time).`,
  },
  snapshotInterval: { type: 'integer', minimum: 1000, default: 100000, description: 'Instructions between two of those snapshots.' },
  cwd: { type: 'string', default: '${workspaceFolder}', description: 'Directory a relative program path is resolved against.' },
};

const snippet = (label, description, extra) => ({
  label,
  description,
  body: { type: 'hyperstep', request: 'launch', name: label.replace(/^hyperstep: /, ''), program: '^"\\${workspaceFolder}/${1:kernel.g32}"', stopOnEntry: true, ...extra },
});

const debuggers = [
  {
    type: 'hyperstep',
    label: 'hyperstep',
    languages: ['g32'],
    configurationAttributes: { launch: { required: ['program'], properties: launchProperties } },
    initialConfigurations: [
      { type: 'hyperstep', request: 'launch', name: 'Debug the active .g32 file', program: '${file}', stopOnEntry: true },
      { type: 'hyperstep', request: 'launch', name: 'Debug under trap-and-emulate', program: '${file}', virtualization: 'trap-and-emulate', paging: 'shadow-on-demand', stopOnEntry: true },
    ],
    configurationSnippets: [
      snippet('hyperstep: Launch on bare hardware', 'Debug a .g32 program with no hypervisor (the reference run).', { virtualization: 'none' }),
      snippet('hyperstep: Launch under trap-and-emulate', 'Debug a .g32 guest under trap-and-emulate with on-demand shadow paging.', {
        virtualization: 'trap-and-emulate',
        paging: 'shadow-on-demand',
        kernelShadows: 'separate',
      }),
      snippet('hyperstep: Launch under binary translation', 'Debug a .g32 guest whose kernel code is translated block by block.', { virtualization: 'binary-translation', paging: 'shadow-proactive' }),
      snippet('hyperstep: Launch under hardware assist', 'Debug a .g32 guest with hardware-assisted virtualization and nested paging.', { virtualization: 'hardware-assist', paging: 'nested' }),
      {
        label: 'hyperstep: Launch a machine description',
        description: 'Debug several guests described by a machine .json file.',
        body: { type: 'hyperstep', request: 'launch', name: 'Machine', program: '^"\\${workspaceFolder}/${1:machine.json}"', stopOnEntry: true },
      },
    ],
  },
];

const commands = [
  ...PANELS.map((panel) => ({ command: panel.command, title: `Open ${panel.title}`, category: 'hyperstep' })),
  { command: 'hyperstep.stepBack', title: 'Step Back', category: 'hyperstep', icon: '$(debug-step-back)' },
  { command: 'hyperstep.reverseContinue', title: 'Reverse Continue', category: 'hyperstep', icon: '$(debug-reverse-continue)' },
  { command: 'hyperstep.sendInput', title: 'Send Keyboard Input to the Guest', category: 'hyperstep', icon: '$(keyboard)' },
  { command: 'hyperstep.walkthrough.openFirstLab', title: 'Open the First Lab', category: 'hyperstep' },
  { command: 'hyperstep.walkthrough.debugUnderTrapAndEmulate', title: 'Debug the Active Guest under Trap-and-Emulate', category: 'hyperstep' },
];

// The walkthrough's steps complete on real events: context keys that
// src/extension/walkthroughProgress.ts sets from the editor and the debug
// adapter's traffic (keys in src/extension/walkthroughSteps.ts), or a command run.
const onContext = (key) => `onContext:hyperstep.walkthrough.${key}`;
const walkthroughStep = (id, title, description, completionEvents) => ({ id, title, description, media: { markdown: `media/walkthrough/${id}.md` }, completionEvents });
const walkthroughs = [
  {
    id: 'gettingStarted',
    title: 'Get started with hyperstep',
    description: 'Run a toy guest OS under a simulated hypervisor: open a lab, debug it, stop on a protection fault, step into the hypervisor and look at its page tables and TLB.',
    steps: [
      walkthroughStep(
        'open-lab',
        'Open the first lab',
        "The labs in `labs/` follow the virtualization lecture, one mechanism each. Open the first one's guest, `labs/01-privileged/guest.g32`, and its README.\n[Open the First Lab](command:hyperstep.walkthrough.openFirstLab)",
        [onContext('labOpened')],
      ),
      walkthroughStep(
        'start-debugging',
        'Press F5',
        'With the guest open, press F5: it runs on bare hardware, the reference, and stops at its first instruction. Then run it under the hypervisor: stop (Shift+F5) and debug it under trap-and-emulate.\n[Debug under Trap-and-Emulate](command:hyperstep.walkthrough.debugUnderTrapAndEmulate)',
        [onContext('debugStarted')],
      ),
      walkthroughStep(
        'protection-fault-filter',
        'Stop on every protection fault',
        'In the Run and Debug view, under **Breakpoints**, tick **Protection fault (#GP)**. Under trap-and-emulate the debugger then stops at each privileged instruction the guest kernel runs, before the hypervisor handles it.\n[Show Run and Debug](command:workbench.view.debug)',
        [onContext('protectionFaultFilter')],
      ),
      walkthroughStep(
        'step-into-hypervisor',
        'Step into the hypervisor',
        "Continue (F5) until the guest stops on a protection fault, then Step Into (F11). The top frame of the call stack becomes the hypervisor's `trap(tf)`: step through what it does with the trap, line by line.",
        [onContext('inHypervisor')],
      ),
      walkthroughStep(
        'page-tables',
        'Open the page-table panel',
        "The guest's page table, the hypervisor's map and the shadow page table side by side, with changes highlighted.\n[Open Page Tables](command:hyperstep.openPageTables)",
        ['onCommand:hyperstep.openPageTables'],
      ),
      walkthroughStep('tlb', 'Open the TLB panel', "The TLB's entries, which the guest's `mov cr3` and `invlpg` (and the hypervisor) flush.\n[Open TLB](command:hyperstep.openTlb)", [
        'onCommand:hyperstep.openTlb',
      ]),
    ],
  },
];

const isHyperstepSession = "debugType == 'hyperstep'";
const menus = {
  commandPalette: [
    { command: 'hyperstep.sendInput', when: isHyperstepSession },
    { command: 'hyperstep.stepBack', when: `${isHyperstepSession} && debugState == 'stopped'` },
    { command: 'hyperstep.reverseContinue', when: `${isHyperstepSession} && debugState == 'stopped'` },
  ],
  'debug/toolBar': [{ command: 'hyperstep.sendInput', when: isHyperstepSession, group: 'navigation@20' }],
};

const panelKinds = PANELS.map((panel) => panel.kind);
const configuration = {
  title: 'hyperstep',
  properties: {
    'hyperstep.panels.openOnFirstStop': {
      type: 'boolean',
      default: true,
      description: 'Open the panels listed in `hyperstep.panels.firstStopPanels` beside the editor when a hyperstep debug session first stops.',
    },
    'hyperstep.panels.firstStopPanels': {
      type: 'array',
      items: { type: 'string', enum: panelKinds },
      uniqueItems: true,
      default: ['pageTables'],
      description: 'Which panels open on the first stop (page tables, TLB, trap timeline, cost counters, translation cache).',
    },
    'hyperstep.trace.server': {
      scope: 'window',
      type: 'string',
      enum: ['off', 'messages', 'verbose'],
      default: 'off',
      description: 'Traces the communication between VS Code and the G32 language server in the "hyperstep language server" output channel.',
    },
  },
};

const { languages, grammars } = pkg.contributes ?? {};
pkg.contributes = { languages, grammars, debuggers, breakpoints: [{ language: 'g32' }], commands, menus, configuration, walkthroughs };
// Languages and commands contributed here activate the extension implicitly (VS Code >= 1.74);
// debugging needs these two, since F5 and the Run view ask the extension to resolve configurations.
pkg.activationEvents = ['onDebugResolve:hyperstep', 'onDebugDynamicConfigurations:hyperstep'];
pkg.capabilities = {
  untrustedWorkspaces: {
    supported: 'limited',
    description:
      'The language server (highlighting, diagnostics, hover, navigation) works in Restricted Mode: it only reads .g32 files. Debugging is disabled there by VS Code itself; when allowed, hyperstep runs guest code only inside its simulator, never on your machine.',
  },
  virtualWorkspaces: {
    supported: 'limited',
    description:
      'In VS Code for the Web (vscode.dev, github.dev) everything works: sources and includes are read through the workspace. In desktop VS Code, a virtual workspace gets highlighting and diagnostics of open files; debugging needs the files on disk.',
  },
};
pkg.scripts = {
  ...pkg.scripts,
  package: 'npm run build && node scripts/bundle-webview.mjs && vsce package --no-dependencies --allow-missing-repository --no-rewrite-relative-links --out hyperstep.vsix',
  'test:extension': 'npm run build --silent && node scripts/bundle-webview.mjs && node out/test/extension/runTest.js',
  'test:e2e': 'npm run package && node out/test/e2e/run.js',
};
const written = `${JSON.stringify(pkg, null, 2)}\n`;
if (process.argv.includes('--check')) {
  if (written !== original) {
    console.error('package-manifest: package.json differs from what scripts/package-manifest.mjs writes: run `npx tsc -b && node scripts/package-manifest.mjs`');
    process.exit(1);
  }
} else {
  writeFileSync(file, written);
}
