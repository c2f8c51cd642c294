"use strict";
// Command-line parsing for `hyperstep`, on commander. Everything is parsed once
// here into typed options; a bad value becomes a UsageError (exit status 64).
Object.defineProperty(exports, "__esModule", { value: true });
exports.UsageError = exports.EXIT = void 0;
exports.parseArgs = parseArgs;
const commander_1 = require("commander");
const memory_1 = require("../machine/memory");
exports.EXIT = {
    halted: 0, assemblyError: 1, tripleFault: 2, busError: 3, instructionLimit: 4, exceptionLoop: 5,
    /** `--compare` found a divergence from bare hardware. */
    divergence: 6,
    /** `--show --at EVENT`: the run ended before the event happened (the tables show the end). */
    showPointNotReached: 7,
    usage: 64,
};
class UsageError extends Error {
}
exports.UsageError = UsageError;
const system_1 = require("../hypervisor/system");
const showTables_1 = require("./showTables");
function parseCount(name, min, max) {
    return (text) => {
        if (!/^(0x[0-9a-f]+|\d+)$/i.test(text.trim()))
            throw new commander_1.InvalidArgumentError(`${name} must be a whole number, got '${text}'`);
        const value = Number(text.trim());
        if (!Number.isSafeInteger(value) || value < min || value > max)
            throw new commander_1.InvalidArgumentError(`${name} must be from ${min} to ${max}, got ${text}`);
        return value;
    };
}
function parseInputAt(text, previous = []) {
    const colon = text.indexOf(':');
    if (colon <= 0)
        throw new commander_1.InvalidArgumentError(`expected TICK:TEXT, got '${text}'`);
    const tick = parseCount('TICK', 0, Number.MAX_SAFE_INTEGER)(text.slice(0, colon));
    return [...previous, { tick, bytes: Buffer.from(text.slice(colon + 1), 'utf8') }];
}
/** Parses argv (without node and script); writes help and errors to the given streams. */
function parseArgs(argv, out, err) {
    let invocation;
    const program = new commander_1.Command('hyperstep')
        .description('Run and assemble G32 programs on a simulated machine and hypervisor.')
        .configureOutput({ writeOut: out, writeErr: err })
        .exitOverride()
        .showHelpAfterError();
    program.command('run')
        .description('assemble FILE.g32 and run it; stdout carries exactly what the guest prints')
        .argument('[file]', 'the .g32 program (its .entry label or _start is where it begins)')
        .option('--input <text>', 'keyboard input available at tick 0 (literal bytes)')
        .option('--input-at <tick:text>', 'keyboard input arriving at TICK (repeatable)', parseInputAt)
        .option('--memory <bytes>', 'RAM size in bytes, a multiple of 4096', parseCount('--memory', 4096, memory_1.MAX_MEMORY_BYTES))
        .option('--tlb-entries <n>', 'TLB entries (0 = no TLB)', parseCount('--tlb-entries', 0, 4096))
        .option('--max-instructions <n>', 'stop after N retired instructions (default 10000000)', parseCount('--max-instructions', 1, Number.MAX_SAFE_INTEGER))
        .addOption(new commander_1.Option('--virtualization <setting>', 'how the guest runs (default none)').choices([...system_1.VIRTUALIZATIONS]))
        .addOption(new commander_1.Option('--paging <setting>', 'how guest page tables are virtualized (default: nested under hardware-assist, shadow-on-demand otherwise; no effect under none)').choices([...system_1.PAGING_SETTINGS]))
        .addOption(new commander_1.Option('--kernel-shadows <setting>', 'pretend-kernel and pretend-user shadows (default separate; no effect under none or hardware-assist)').choices([...system_1.KERNEL_SHADOWS]))
        .option('--machine <file.json>', 'run the guests of a machine description instead of FILE')
        .option('--compare', 'run bare hardware and the chosen setting in lockstep; report the first divergence on stdout (exit status 6 if there is one, 0 if none)')
        .option('--cost-model <profile|file.json>', 'cycle costs: first-gen (2006 hardware, the default) or modern, or a JSON file of costs to override ("profile" picks its base)')
        .option('--stats', 'print cost counters on stderr when the run ends')
        .option('--trace <file.jsonl>', 'write every machine and hypervisor event to FILE as JSON lines')
        .option('--show <tables>', 'print tables on stdout instead of the console output: page-tables (= guest,map,shadows), guest, map, shadows, tlb, all')
        .option('--at <tick|event>', 'with --show: stop at TICK, or after the first EVENT (an exception filter id such as hidden-page-fault, cr3-load; EVENT#N for the Nth)')
        .addHelpText('after', '\nExit status: 0 halted, 1 assembly error, 2 triple fault, 3 bus error, 4 instruction limit, 5 exception loop,\n6 --compare found a divergence, 7 --show --at: the run ended before the point, 64 bad usage.')
        .action((fileArg, o) => {
        const file = o.machine ?? fileArg;
        if (!file)
            throw new UsageError('run needs FILE.g32 or --machine FILE.json');
        if (o.machine && fileArg)
            throw new UsageError('give either FILE.g32 or --machine FILE.json, not both');
        if (o.memory !== undefined && o.memory % 4096 !== 0)
            throw new UsageError('--memory must be a multiple of 4096');
        const inputs = [];
        if (typeof o.input === 'string')
            inputs.push({ tick: 0, bytes: Buffer.from(o.input, 'utf8') });
        inputs.push(...(o.inputAt ?? []));
        if (o.at !== undefined && o.show === undefined)
            throw new UsageError('--at needs --show (which tables to print at that point)');
        let show;
        try {
            if (typeof o.show === 'string')
                show = { tables: (0, showTables_1.parseShow)(o.show), point: typeof o.at === 'string' ? (0, showTables_1.parseAt)(o.at) : { kind: 'end' } };
        }
        catch (e) {
            throw new UsageError(e.message);
        }
        invocation = {
            command: 'run',
            options: {
                file, inputs, memory: o.memory, tlbEntries: o.tlbEntries,
                maxInstructions: o.maxInstructions, virtualization: o.virtualization,
                paging: o.paging, kernelShadows: o.kernelShadows,
                isStats: o.stats === true, traceFile: o.trace, isCompare: o.compare === true, costModelFile: o.costModel, show,
            },
        };
    });
    program.command('asm')
        .description('assemble FILE.g32; report every error, or print a listing')
        .argument('<file>', 'the .g32 program')
        .option('--listing', 'print address, bytes and source for every statement')
        .action((file, o) => {
        invocation = { command: 'asm', options: { file, isListing: o.listing === true } };
    });
    program.command('check')
        .description('check a lab: run your guest under the lab\'s settings and compare your answers with what the tool measures (exit 0 all hold, 1 a check failed)')
        .argument('<lab-folder>', 'a folder of labs/ (it holds lab.json)')
        .option('--file <guest.g32>', 'check this guest instead of the lab\'s own')
        .option('--answers <answers.txt>', 'read the answers from this file instead of the lab\'s own')
        .option('--measurements', 'check nothing: print every number the lab\'s reference guest measures in each run (for teachers)')
        .action((folder, o) => {
        invocation = { command: 'check', options: { folder, file: o.file, answers: o.answers, isMeasurements: o.measurements === true } };
    });
    if (argv.length === 0) {
        // No command is bad usage (status 64), not a request for help.
        err(program.helpInformation());
        return { command: 'exit', status: exports.EXIT.usage };
    }
    try {
        program.parse(argv, { from: 'user' });
    }
    catch (e) {
        if (e instanceof UsageError) {
            err(`error: ${e.message}\n`);
            return { command: 'exit', status: exports.EXIT.usage };
        }
        if (e instanceof commander_1.CommanderError) {
            const isHelp = e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version';
            return { command: 'exit', status: isHelp ? 0 : exports.EXIT.usage };
        }
        throw e;
    }
    if (!invocation) {
        err(program.helpInformation());
        return { command: 'exit', status: exports.EXIT.usage };
    }
    return invocation;
}
//# sourceMappingURL=args.js.map