// Measures what keeping the translation cache in step-back snapshots costs
// (TranslationCache.save/restore) against flushing it on restore, on the
// example OS under binary translation. Run after `npx tsc -b`:
//   node scripts/translation-snapshot.cjs
const { createSystem } = require(__dirname + '/../out/src/hypervisor/system.js');
const { loadProgram } = require(__dirname + '/../out/src/loader/program.js');
const { estimateBytes } = require(__dirname + '/../out/src/debug/history.js');
const fs = require('fs');
const load = loadProgram(require('path').join(__dirname, '..', 'examples') + '/os/kernel.g32', {
  readFile: (f) => fs.readFileSync(f, 'utf8'),
  inputs: [{ tick: 2000, bytes: Uint8Array.from([107]) }],
});
const sys = createSystem({ virtualization: 'binary-translation', guests: load.guests });
sys.cpu.runUntilTick = 20000;
sys.run();
const hv = sys.hypervisor;
const cache = hv.guests[0].translator.cache;
const N = 2000;
let t = process.hrtime.bigint();
for (let i = 0; i < N; i++) cache.save();
const cacheUs = Number(process.hrtime.bigint() - t) / 1000 / N;
t = process.hrtime.bigint();
for (let i = 0; i < 200; i++) sys.saveState();
const stateUs = Number(process.hrtime.bigint() - t) / 1000 / 200;
const st = cache.save();
t = process.hrtime.bigint();
for (let i = 0; i < N; i++) cache.restore(st);
const restoreUs = Number(process.hrtime.bigint() - t) / 1000 / N;
console.log(
  `blocks ${cache.size}, cache.save ${cacheUs.toFixed(1)} us, whole saveState ${stateUs.toFixed(1)} us, cache.restore ${restoreUs.toFixed(1)} us, cache state ~${(estimateBytes(st) / 1024).toFixed(0)} KiB (estimateBytes), whole state ~${(estimateBytes(sys.saveState()) / 1024).toFixed(0)} KiB`,
);
// Flush alternative: the cost of translating again what the cache held, as counted by the run.
const full = createSystem({ virtualization: 'binary-translation', guests: load.guests });
full.cpu.runUntilTick = 8000;
full.run();
const s2 = full.saveState();
full.cpu.runUntilTick = 20000;
full.run();
const translationsStraight = full.hypervisor.guests[0].counters.translations;
full.loadState(s2);
full.hypervisor.guests[0].translator.cache.restore({
  byPhysical: [],
  byVirtual: [],
  singles: [],
  byFrame: [],
  blocks: [],
  generation: 0,
  hits: 0,
  misses: 0,
  invalidations: 0,
  hotFrames: [],
  dataWrites: [],
});
full.cpu.runUntilTick = 20000;
full.run();
console.log(`translations by tick 20000: straight ${translationsStraight}, after a flush at tick 8000 ${full.hypervisor.guests[0].counters.translations}`);
