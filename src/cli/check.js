"use strict";
// `hyperstep check LAB_FOLDER [--file GUEST.g32]`: prints one line per check of
// the lab (program expectations, then answers) and a summary on stdout. Exit
// status 0 when every check holds, 1 when one fails, 64 when the folder is not
// a lab.
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
exports.CHECK_FAILED = void 0;
exports.formatReport = formatReport;
exports.formatMeasurements = formatMeasurements;
exports.checkCommand = checkCommand;
const fs = __importStar(require("fs"));
const path = __importStar(require("path"));
const checkLab_1 = require("../labs/checkLab");
const labDefinition_1 = require("../labs/labDefinition");
const measure_1 = require("../labs/measure");
const args_1 = require("./args");
/** Exit status of `check` when a check fails. */
exports.CHECK_FAILED = 1;
function formatReport(report) {
    const { lab, results } = report;
    const lines = [`lab ${lab.number}: ${lab.title}`, `checking ${report.guestFile}`];
    for (const result of results) {
        const text = result.isOk ? `  ok    ${result.subject}: ${result.message}` : `  FAIL  lab ${lab.number}, ${result.subject}: ${result.message}`;
        lines.push(text);
    }
    const failed = results.filter((r) => !r.isOk).length;
    lines.push(failed === 0
        ? `lab ${lab.number} passed: all ${results.length} checks hold`
        : `lab ${lab.number} not passed yet: ${failed} of ${results.length} checks failed`);
    return lines.join('\n') + '\n';
}
/** What a lab's reference guest measures in each run: every non-zero number, named as `--stats` names it. */
function formatMeasurements(result) {
    const lines = [`lab ${result.lab.number}: ${result.lab.title}`, `measured on ${result.guest}`];
    for (const { run, label, window, measurement } of result.runs) {
        lines.push('', `run "${run}": ${label} (${measurement.setting}); ended with: ${measurement.stopDetail}`);
        if (!measurement.numbers) {
            lines.push(`  ${measurement.windowProblem}`);
            continue;
        }
        if (window)
            lines.push(`  counted ${window}`);
        const rows = [...measurement.numbers].filter(([, value]) => value !== 0)
            .map(([key, value]) => [`${(0, measure_1.measureLabel)(key)} (${key})`, value]);
        const width = Math.max(0, ...rows.map(([name]) => name.length));
        for (const [name, value] of rows)
            lines.push(`  ${name.padEnd(width)}  ${value}`);
    }
    return lines.join('\n') + '\n';
}
function checkCommand(options, io) {
    if (io.readFile(path.join(options.folder, 'lab.json')) === undefined) {
        const why = fs.existsSync(options.folder) ? 'is not a lab folder (it has no lab.json)' : 'does not exist';
        io.stderr(`hyperstep: ${options.folder} ${why}; a lab is one of the folders of labs/, e.g. labs/01-privileged\n`);
        return args_1.EXIT.usage;
    }
    if (options.file !== undefined && io.readFile(options.file) === undefined) {
        io.stderr(`hyperstep: cannot read ${options.file}\n`);
        return args_1.EXIT.usage;
    }
    if (options.answers !== undefined && io.readFile(options.answers) === undefined) {
        io.stderr(`hyperstep: cannot read ${options.answers}\n`);
        return args_1.EXIT.usage;
    }
    let report;
    try {
        if (options.isMeasurements) {
            io.stdout(formatMeasurements((0, checkLab_1.measureLab)(options.folder, io.readFile)));
            return args_1.EXIT.halted;
        }
        report = (0, checkLab_1.checkLab)(options.folder, { readFile: io.readFile, guestFile: options.file, answersFile: options.answers });
    }
    catch (e) {
        if (e instanceof labDefinition_1.LabError) {
            io.stderr(`hyperstep: ${options.folder}: ${e.message}\n`);
            return args_1.EXIT.usage;
        }
        throw e;
    }
    io.stdout(formatReport(report));
    return report.results.every((r) => r.isOk) ? args_1.EXIT.halted : exports.CHECK_FAILED;
}
//# sourceMappingURL=check.js.map