#!/usr/bin/env node
// Installed as `hyperstep-dap`; the code is in the esbuild bundle.
const { main } = require('../dist/dap.js');
const status = main(process.argv.slice(2));
if (typeof status === 'number') process.exitCode = status;
