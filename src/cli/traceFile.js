"use strict";
// `--trace FILE`: every machine and hypervisor event as one JSON line, written
// while the run goes (buffered in a small chunk), so memory stays flat however
// long the run. The file is created before the run starts: a missing folder is
// reported at once, not after an hour of running.
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
exports.TraceFileError = void 0;
exports.openTraceFile = openTraceFile;
const fs = __importStar(require("fs"));
const path = __importStar(require("path"));
/** Characters buffered before a write: large enough for few system calls, small enough to be flat. */
const CHUNK_CHARACTERS = 64 * 1024;
class TraceFileError extends Error {
}
exports.TraceFileError = TraceFileError;
function openTraceFile(file) {
    let fd;
    try {
        fd = fs.openSync(file, 'w');
    }
    catch (e) {
        const code = e.code;
        const why = code === 'ENOENT' ? `no such folder ${path.dirname(path.resolve(file))}`
            : code === 'EISDIR' ? 'it is a folder'
                : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
                    : e.message;
        throw new TraceFileError(`cannot write the trace to ${file}: ${why}`);
    }
    let pending = [];
    let pendingCharacters = 0;
    let error;
    const flush = () => {
        if (pending.length === 0 || error !== undefined)
            return;
        const bytes = Buffer.from(pending.join(''));
        pending = [];
        pendingCharacters = 0;
        try {
            let offset = 0;
            while (offset < bytes.length)
                offset += fs.writeSync(fd, bytes, offset);
        }
        catch (e) {
            error = e.message;
        }
    };
    return {
        write(line) {
            if (error !== undefined)
                return;
            pending.push(line);
            pendingCharacters += line.length;
            if (pendingCharacters >= CHUNK_CHARACTERS)
                flush();
        },
        close() {
            flush();
            fs.closeSync(fd);
            return error;
        },
    };
}
//# sourceMappingURL=traceFile.js.map