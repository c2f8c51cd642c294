"use strict";
// The `hyperstep` command line: `run`, `asm` and `check` (check.ts). stdout carries exactly the
// guest's console bytes (or the listing), written as the guest prints them;
// every diagnostic goes to stderr, with control characters escaped; the exit
// status follows g32-isa.md §8. When stdout is closed early (`| head -c1`) the
// rest of the output is dropped and the run still ends with its own status.
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.EXIT_BY_STOP = exports.nodeIo = void 0;
exports.runCommand = runCommand;
exports.asmCommand = asmCommand;
exports.main = main;
const fs = __importStar(require("fs"));
const path = __importStar(require("path"));
const asm_1 = require("../asm");
const counters_1 = require("../machine/counters");
const compare_1 = require("../hypervisor/compare");
const format_1 = require("../machine/format");
const deliveryFailure_1 = require("../machine/deliveryFailure");
const costs_1 = require("../hypervisor/costs");
const system_1 = require("../hypervisor/system");
const program_1 = require("../loader/program");
const includePaths_1 = require("../loader/includePaths");
const sourceFile_1 = require("../loader/sourceFile");
const args_1 = require("./args");
const check_1 = require("./check");
const compareAgreement_1 = require("../hypervisor/compareAgreement");
const settingWarnings_1 = require("../hypervisor/settingWarnings");
const stopExplanation_1 = require("../hypervisor/stopExplanation");
const traceLabels_1 = require("../hypervisor/traceLabels");
const showTables_1 = require("./showTables");
const terminalText_1 = require("./terminalText");
const traceFile_1 = require("./traceFile");
/** Set once stdout is closed by its reader: output is dropped from then on. */
let isStdoutClosed = false;
/** writeSync may write part of a buffer to a pipe; loop until all of it is out. */
function writeAll(fd, data) {
    let offset = 0;
    while (offset < data.length) {
        try {
            offset += fs.writeSync(fd, data, offset);
        }
        catch (e) {
            if (e.code !== 'EAGAIN')
                throw e;
        }
    }
}
exports.nodeIo = {
    stdout: (data) => {
        if (isStdoutClosed)
            return;
        try {
            writeAll(1, typeof data === 'string' ? Buffer.from(data) : data);
        }
        catch (e) {
            if (e.code !== 'EPIPE')
                throw e;
            isStdoutClosed = true;
        }
    },
    stderr: (text) => { try {
        writeAll(2, Buffer.from(text));
    }
    catch (e) {
        if (e.code !== 'EPIPE')
            throw e;
    } },
    readFile: sourceFile_1.readSourceText,
    readSourceFile: (file) => (0, sourceFile_1.readSourceFile)(file),
    writeFile: (file, text) => fs.writeFileSync(file, text),
    openTrace: traceFile_1.openTraceFile,
};
/** Bytes of guest output gathered before a write to stdout. */
const OUTPUT_CHUNK = 4096;
exports.EXIT_BY_STOP = {
    'halted': args_1.EXIT.halted, 'triple-fault': args_1.EXIT.tripleFault, 'bus-error': args_1.EXIT.busError,
    'instruction-limit': args_1.EXIT.instructionLimit, 'exception-loop': args_1.EXIT.exceptionLoop,
};
function relativeName(file) {
    return path.relative(process.cwd(), file) || file;
}
function printDiagnostics(result, io) {
    for (const diagnostic of result.diagnostics)
        io.stderr((0, asm_1.formatDiagnostic)({ ...diagnostic, file: relativeName(diagnostic.file) }) + '\n');
}
function assembleFile(file, io) {
    const read = io.readSourceFile(file);
    if ('error' in read) {
        io.stderr(`hyperstep: cannot read ${file}: ${read.error}\n`);
        return args_1.EXIT.usage;
    }
    const absolute = path.resolve(file);
    const result = (0, asm_1.assemble)(absolute, { readSourceFile: (other) => (other === absolute ? read : io.readSourceFile(other)), includePaths: includePaths_1.nodeIncludePaths });
    printDiagnostics(result, io);
    if (!result.image) {
        if (result.diagnostics.length === 0)
            io.stderr(`hyperstep: ${file}: assembly failed\n`);
        return args_1.EXIT.assemblyError;
    }
    return result;
}
function formatRows(title, rows) {
    const width = Math.max(...rows.map(([name]) => name.length));
    return `${title}\n` + rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n') + '\n';
}
/** Builds the systems a run needs from the options; a number is an exit status (the message is already out). */
function prepare(options, io) {
    let load;
    try {
        load = (0, program_1.loadProgram)(options.file, { readSourceFile: io.readSourceFile, memory: options.memory, inputs: options.inputs });
    }
    catch (e) {
        if (e instanceof system_1.ConfigError || e instanceof program_1.LoadError) {
            io.stderr(`hyperstep: ${e.message}\n`);
            return args_1.EXIT.usage;
        }
        throw e;
    }
    for (const guest of load.guests)
        printDiagnostics(guest.assembled, io);
    if (load.failed.length > 0)
        return args_1.EXIT.assemblyError;
    const description = load.description;
    let costModel;
    let costKeys = [];
    if (options.costModelFile && (0, costs_1.isCostProfileName)(options.costModelFile)) {
        costModel = { ...costs_1.COST_PROFILES[options.costModelFile] };
    }
    else if (options.costModelFile) {
        const read = io.readSourceFile(options.costModelFile);
        if ('error' in read) {
            io.stderr(`hyperstep: cannot read ${options.costModelFile}: ${read.error}\n`);
            return args_1.EXIT.usage;
        }
        try {
            const json = JSON.parse(read.text);
            costModel = (0, costs_1.parseCostModel)(json);
            costKeys = Object.keys(json).filter((key) => key !== 'profile');
        }
        catch (e) {
            io.stderr(`hyperstep: ${options.costModelFile}: ${e.message}\n`);
            return args_1.EXIT.usage;
        }
    }
    const systemOptions = {
        virtualization: options.virtualization ?? description?.virtualization ?? 'none',
        paging: options.paging ?? description?.paging,
        kernelShadows: options.kernelShadows ?? description?.kernelShadows,
        tlbEntries: options.tlbEntries ?? description?.tlbEntries,
        maxInstructions: options.maxInstructions,
        costModel,
        guests: load.guests,
    };
    try {
        (0, system_1.validateSettings)(systemOptions);
        (0, system_1.validateMemory)(systemOptions);
        if (systemOptions.virtualization === 'none' && load.guests.length > 1) {
            throw new system_1.ConfigError(`${relativeName(options.file)} has ${load.guests.length} guests; bare hardware (virtualization none) runs one: choose --virtualization trap-and-emulate`);
        }
        if (options.isCompare && systemOptions.virtualization === 'none')
            throw new system_1.ConfigError('--compare needs a --virtualization other than none to compare with bare hardware');
        if (options.isCompare && load.guests.length > 1)
            throw new system_1.ConfigError('--compare runs one guest at a time');
        if (options.isCompare && options.show)
            throw new system_1.ConfigError('--show and --compare do not go together: --show stops one run to print its tables');
    }
    catch (e) {
        if (e instanceof system_1.ConfigError) {
            io.stderr(`hyperstep: ${e.message}\n`);
            return args_1.EXIT.usage;
        }
        throw e;
    }
    const explicit = { virtualization: systemOptions.virtualization, paging: systemOptions.paging, kernelShadows: systemOptions.kernelShadows };
    const fromFile = (key) => `${relativeName(options.file)}'s "${key}"`;
    const names = { paging: options.paging ? settingWarnings_1.CLI_SETTING_NAMES.paging : fromFile('paging'), kernelShadows: options.kernelShadows ? settingWarnings_1.CLI_SETTING_NAMES.kernelShadows : fromFile('kernelShadows') };
    const warnings = [...(0, settingWarnings_1.ineffectiveSettingWarnings)(explicit, names), ...(0, settingWarnings_1.ineffectiveCostKeys)(systemOptions.virtualization, costKeys)];
    if (options.isCompare && options.isStats)
        warnings.push('--stats has no effect with --compare, which prints only the comparison');
    if (options.isCompare && options.traceFile)
        warnings.push('--trace has no effect with --compare; trace one setting at a time');
    for (const warning of warnings)
        io.stderr(`hyperstep: warning: ${warning}\n`);
    // Before any memory is allocated: an image larger than its guest is the program's fault (status 1), found at once.
    const outside = (0, system_1.imageOutsideMemory)(load.guests);
    if (outside) {
        io.stderr(`hyperstep: ${outside}\n`);
        return args_1.EXIT.assemblyError;
    }
    return { load, systemOptions };
}
/** "kernel.g32:12" for a guest-physical address of guest 0, from its line map. */
function sourceOfGuest(load) {
    const lineMap = load.guests[0]?.assembled.lineMap;
    return (gpa) => {
        const line = lineMap?.lookup(gpa);
        return line ? `${relativeName(line.file)}:${line.line}` : undefined;
    };
}
function runCommand(options, io) {
    const prepared = prepare(options, io);
    if (typeof prepared === 'number')
        return prepared;
    const { systemOptions, load } = prepared;
    if (options.isCompare) {
        const make = (virtualization) => () => (0, system_1.createSystem)({ ...systemOptions, virtualization });
        // The first run of the other setting goes to the end when nothing diverges: its counters say why.
        let firstOther;
        const makeOther = () => {
            const system = make(systemOptions.virtualization)();
            if (!firstOther) {
                firstOther = { system, tally: new compareAgreement_1.SensitiveTally() };
                firstOther.tally.attach(system);
            }
            return system;
        };
        const result = (0, compare_1.findDivergence)(make('none'), makeOther);
        io.stdout((0, compare_1.formatDivergence)(result));
        if (result.divergence)
            return args_1.EXIT.divergence;
        if (firstOther)
            io.stdout((0, compareAgreement_1.explainAgreement)(firstOther.system, firstOther.tally).map((line) => `  ${line}\n`).join(''));
        return args_1.EXIT.halted;
    }
    let trace;
    if (options.traceFile) {
        try {
            trace = io.openTrace(options.traceFile);
        }
        catch (e) {
            io.stderr(`hyperstep: ${e.message}\n`);
            return args_1.EXIT.usage;
        }
    }
    let system;
    try {
        system = (0, system_1.createSystem)(systemOptions);
    }
    catch (e) {
        trace?.close();
        io.stderr(`hyperstep: ${e.message}\n`);
        return args_1.EXIT.usage;
    }
    const counters = options.isStats ? new counters_1.MachineCounters(system.events) : undefined;
    if (trace) {
        const sink = trace;
        (0, traceLabels_1.traceEvents)(system, (record) => sink.write(JSON.stringify(record) + '\n'));
    }
    if (options.show) {
        const reached = (0, showTables_1.runToPoint)(system, options.show.point);
        io.stdout(`hyperstep: ${system.guest(0).name} under ${system.settingName}, ${reached.what}; pc ${(0, format_1.hexWord)(system.guest(0).pc)}\n\n`);
        io.stdout((0, showTables_1.formatAllTables)(system, options.show.tables));
        const traceError = trace?.close();
        if (traceError)
            io.stderr(`hyperstep: the trace in ${options.traceFile} is incomplete: ${traceError}\n`);
        if (!reached.isReached) {
            io.stderr(`hyperstep: the run ended before ${options.show.point.kind === 'tick' ? `tick ${options.show.point.tick}` : 'that event'}: ${reached.stop}\n`);
            return args_1.EXIT.showPointNotReached;
        }
        return args_1.EXIT.halted;
    }
    const isMultiGuest = system.guestCount > 1;
    const output = [];
    const flush = () => { if (output.length > 0) {
        io.stdout(Uint8Array.from(output));
        output.length = 0;
    } };
    const emit = (bytes) => { for (let i = 0; i < bytes.length; i++)
        output.push(bytes[i]); if (output.length >= OUTPUT_CHUNK)
        flush(); };
    // Several guests share stdout line by line, each line prefixed with the guest's name; a line
    // longer than OUTPUT_CHUNK goes out in pieces (one prefix), so a guest that never prints a newline costs no memory.
    const pendingLine = new Map();
    const isMidLine = new Set();
    const emitLine = (index, line, isComplete) => {
        if (!isMidLine.has(index))
            emit(Buffer.from(`[${(0, terminalText_1.escapeForTerminal)(system.guest(index).name)}] `));
        emit(line);
        if (isComplete)
            isMidLine.delete(index);
        else
            isMidLine.add(index);
    };
    for (let index = 0; index < system.guestCount; index++) {
        const consoleDevice = system.hypervisor ? system.hypervisor.guests[index].devices.console : system.machine.devices.console;
        consoleDevice.onByte = (byte) => {
            if (!isMultiGuest) {
                output.push(byte);
                if (output.length >= OUTPUT_CHUNK)
                    flush();
                return;
            }
            const line = pendingLine.get(index) ?? [];
            line.push(byte);
            pendingLine.set(index, line);
            if (byte === 10 || line.length >= OUTPUT_CHUNK) {
                emitLine(index, line, byte === 10);
                pendingLine.set(index, []);
            }
        };
    }
    const result = system.run();
    for (const [index, line] of pendingLine)
        if (line.length || isMidLine.has(index))
            emitLine(index, [...line, 10], true);
    flush();
    const traceError = trace?.close();
    if (traceError)
        io.stderr(`hyperstep: the trace in ${options.traceFile} is incomplete: ${traceError}\n`);
    const view = system.guest(isMultiGuest ? 0 : 0);
    if (result.reason !== 'halted') {
        io.stderr(`hyperstep: ${result.detail}${isMultiGuest ? '' : ` (pc 0x${view.pc.toString(16).padStart(8, '0')}, after ${view.retired} instructions)`}\n`);
        const sourceOf = sourceOfGuest(load);
        const hints = (0, stopExplanation_1.explainStop)(system, result, sourceOf);
        if (result.reason === 'instruction-limit' && !isMultiGuest && view.console.length === 0)
            hints.push(...(0, stopExplanation_1.probeSpin)(() => (0, system_1.createSystem)(systemOptions), view.ticks, sourceOf));
        for (const hint of hints)
            io.stderr(`  ${hint}\n`);
    }
    // A double fault the guest survived is still a kernel mistake worth naming.
    const failure = system.cpu.deliveryFailure;
    if (failure && result.reason !== 'triple-fault' && result.reason !== 'bus-error')
        io.stderr(`hyperstep: note: the guest took a double fault: ${(0, deliveryFailure_1.explainDeliveryFailure)(failure)}\n`);
    if (counters) {
        // Each counter once: the machine's event counts, then the setting's (cr3 loads and TLB rows come from there).
        const rows = [
            ['instructions retired', isMultiGuest ? Array.from({ length: system.guestCount }, (_, i) => system.guest(i).retired).reduce((a, b) => a + b, 0) : view.retired],
            ['ticks', view.ticks],
            ...counters.rows(),
            ...system.costRows().filter(([name]) => name !== 'instructions retired'),
        ];
        io.stderr(formatRows(`costs (virtualization: ${system.settingName})`, rows));
    }
    return exports.EXIT_BY_STOP[result.reason] ?? args_1.EXIT.usage;
}
function asmCommand(options, io) {
    const assembled = assembleFile(options.file, io);
    if (typeof assembled === 'number')
        return assembled;
    if (options.isListing) {
        const sources = new Map();
        for (const file of assembled.files)
            sources.set(file, io.readFile(file) ?? '');
        io.stdout((0, asm_1.listing)(assembled, sources));
    }
    return args_1.EXIT.halted;
}
function main(argv, rawIo = exports.nodeIo) {
    const io = { ...rawIo, stderr: (text) => rawIo.stderr((0, terminalText_1.escapeForTerminal)(text)) };
    const invocation = (0, args_1.parseArgs)(argv, (s) => io.stdout(s), (s) => io.stderr(s));
    switch (invocation.command) {
        case 'exit': return invocation.status;
        case 'run': return runCommand(invocation.options, io);
        case 'asm': return asmCommand(invocation.options, io);
        case 'check': return (0, check_1.checkCommand)(invocation.options, { stdout: (s) => io.stdout(s), stderr: io.stderr, readFile: io.readFile });
    }
}
if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
//# sourceMappingURL=main.js.map