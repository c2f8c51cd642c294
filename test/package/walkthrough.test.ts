// The walkthrough in package.json can be completed: every step's page exists,
// every command it runs or waits for is declared (and registered by the
// extension), and every context key it waits for is one the extension sets.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WALKTHROUGH_CONTEXT_KEYS } from '../../src/extension/walkthroughSteps';

const ROOT = path.resolve(__dirname, '../../..');

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string };
  completionEvents?: string[];
}
interface Manifest {
  contributes: { commands: Array<{ command: string }>; walkthroughs: Array<{ id: string; title: string; steps: Step[] }> };
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
/** VS Code's own commands the steps' buttons may run. */
const BUILT_IN_COMMANDS = new Set(['workbench.view.debug', 'workbench.action.debug.start']);

/** Every string literal in the extension's sources: where commands are registered. */
function extensionSourceText(): string {
  const folder = path.join(ROOT, 'src/extension');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else if (entry.name.endsWith('.ts')) files.push(path.join(dir, entry.name));
    }
  };
  walk(folder);
  // The panels' commands are registered from their one list.
  files.push(path.join(ROOT, 'src/protocol/panels.ts'));
  return files.map((file) => fs.readFileSync(file, 'utf8')).join('\n');
}

describe('the walkthrough in package.json', () => {
  const [walkthrough] = manifest.contributes.walkthroughs ?? [];
  const declared = new Set(manifest.contributes.commands.map((command) => command.command));

  it('takes the user from a lab through F5, the protection-fault filter and the hypervisor to the panels', () => {
    assert.ok(walkthrough, 'contributes.walkthroughs has a walkthrough');
    assert.deepEqual(
      walkthrough.steps.map((step) => step.id),
      ['open-lab', 'start-debugging', 'protection-fault-filter', 'step-into-hypervisor', 'page-tables', 'tlb'],
    );
  });

  it('shows a page of media/walkthrough for every step, and the pages exist', () => {
    for (const step of walkthrough.steps) {
      assert.ok(step.media.markdown, `${step.id} has a Markdown page`);
      assert.match(step.media.markdown, /^media\/walkthrough\/[\w-]+\.md$/);
      assert.ok(fs.existsSync(path.join(ROOT, step.media.markdown)), `${step.media.markdown} exists`);
    }
  });

  it('completes every step on a real event: a context key the extension sets or a declared command', () => {
    const keys = new Set(Object.values(WALKTHROUGH_CONTEXT_KEYS));
    for (const step of walkthrough.steps) {
      assert.ok(step.completionEvents && step.completionEvents.length > 0, `${step.id} waits for an event, not a click on the step`);
      for (const event of step.completionEvents) {
        const [kind, value] = [event.slice(0, event.indexOf(':')), event.slice(event.indexOf(':') + 1)];
        if (kind === 'onContext') assert.ok(keys.has(value), `${step.id}: ${value} is set by walkthroughProgress`);
        else if (kind === 'onCommand') assert.ok(declared.has(value), `${step.id}: ${value} is declared`);
        else assert.fail(`${step.id}: unexpected completion event ${event}`);
      }
    }
    // Each context key is waited for by some step: none is set for nothing.
    const waited = new Set(walkthrough.steps.flatMap((step) => step.completionEvents ?? []));
    for (const key of keys) assert.ok(waited.has(`onContext:${key}`), `a step waits for ${key}`);
  });

  it('runs only commands that exist from its buttons', () => {
    for (const step of walkthrough.steps) {
      for (const match of step.description.matchAll(/\(command:([\w.]+)/g)) {
        assert.ok(declared.has(match[1]) || BUILT_IN_COMMANDS.has(match[1]), `${step.id}: command ${match[1]}`);
      }
    }
  });

  it('every command the manifest declares is registered by the extension', () => {
    const source = extensionSourceText();
    for (const command of declared) assert.ok(source.includes(`'${command}'`), `${command} is registered in src/extension (or listed in src/protocol/panels.ts)`);
  });
});
