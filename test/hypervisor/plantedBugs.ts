// Translator bugs planted into one system's binary translator at run time, by
// rewriting each block's generated source as it is compiled: the divergence
// finder must find them, and the random tests must see them. Sources are not
// touched, so nothing planted here can reach a build.

import { compile, TranslatedBlock } from '../../src/hypervisor/binaryTranslate/translate';
import { VirtualSystem } from '../../src/hypervisor/system';

export type PlantedBug = (source: string) => string;

/** The loop-exit test of a self-looping block checks only the ticks already run, so the loop overruns an event. */
export const LOOP_EXIT_IGNORES_NEXT_ITERATION: PlantedBug = (source) => source.replace(/if \(t \+ (\d+) <= budget\) continue;/g, 'if (t <= budget) continue;');

/**
 * Flag elision that forgets a flag computation is live: in a block of several
 * instructions, the flags of the first flag-writing instruction are dropped
 * (as if a later instruction overwrote them before anything read them).
 */
export const FIRST_FLAGS_ELIDED: PlantedBug = (source) => source.replace(/ f = \/\* \w+Flags \*\/ [^;]*;/, ' ');

/** Makes every multi-instruction block `system` translates from now on carry `bug` (whether translated on first sight or once hot). */
export function plant(system: VirtualSystem, bug: PlantedBug): void {
  const translator = system.hypervisor!.guests[0].translator!;
  const engine = translator as unknown as { compileBlock(block: TranslatedBlock): void };
  const compileBlock = engine.compileBlock.bind(translator);
  engine.compileBlock = (block) => {
    compileBlock(block);
    if (block.instrs.length > 1) {
      block.source = bug(block.source);
      block.fn = compile(block.source);
    }
  };
}
