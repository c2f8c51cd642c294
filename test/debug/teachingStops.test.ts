// The debugger's side of issue 9's messages that teach: a fatal stop's
// exceptionInfo names the kernel's mistake as the command line does, and a
// launch setting that has no effect is warned about in the debug console.

import * as assert from 'assert';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { EXAMPLES, launchAndStop, withAdapterClient, ROOT } from './helpers';

const CLI_FIXTURES = path.join(ROOT, 'test', 'cli', 'fixtures');

describe('debug adapter: stops and warnings that teach', function () {
  this.timeout(60000);
  let client: DebugClient;
  withAdapterClient((started) => {
    client = started;
  });

  it('a triple fault from a forgotten mov ksp says ksp is 0', async () => {
    const stopped = await launchAndStop(client, { program: path.join(CLI_FIXTURES, 'no-ksp.g32'), stopOnEntry: false, virtualization: 'trap-and-emulate' });
    assert.strictEqual(stopped.body.reason, 'exception');
    const info = (await client.exceptionInfoRequest({ threadId: 1 })).body;
    assert.strictEqual(info.exceptionId, 'triple-fault');
    assert.match(info.description!, /^triple fault while delivering #DF: delivering system call from pc 0x[0-9a-f]+: ksp is 0 — the kernel never set its stack with `mov ksp, …`/);
  });

  it('the instruction limit without console output lists the likely causes and where the guest was', async () => {
    await launchAndStop(client, { program: path.join(CLI_FIXTURES, 'unmapped-console.g32'), stopOnEntry: false, maxInstructions: 20000 });
    const info = (await client.exceptionInfoRequest({ threadId: 1 })).body;
    assert.strictEqual(info.exceptionId, 'instruction-limit');
    assert.match(
      info.description!,
      /instruction limit of 20000 reached\nthe guest wrote nothing to its console in 20000 instructions; it was running at pc 0x[0-9a-f]{8} \(unmapped-console\.g32:\d+\)/,
    );
    assert.match(info.description!, /Likely causes:\n {2}- the console page 0xFFFF0000 is not mapped/);
  });

  it("a page fault's error code in words: in the stop description and in the trap frame", async () => {
    await launchAndStop(client, { program: path.join(CLI_FIXTURES, 'unmapped-console.g32'), stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: ['guest-page-fault'] }));
    const info = (await client.exceptionInfoRequest({ threadId: 1 })).body;
    assert.match(info.description!, /page fault at 0xffff0000 \(pc 0x[0-9a-f]{8}\), error 2 \(not present, write, kernel\)/i);
    // The filter stops at the faulting instruction, before delivery; step into delivers it and shows the trap frame.
    await Promise.all([client.waitForEvent('stopped'), client.stepInRequest({ threadId: 1 })]);
    let scope: DebugProtocol.Scope | undefined;
    for (const frame of (await client.stackTraceRequest({ threadId: 1 })).body.stackFrames) {
      scope ??= (await client.scopesRequest({ frameId: frame.id })).body.scopes.find((sc) => sc.name === 'Trap frame');
    }
    assert.ok(scope, 'a Trap frame scope');
    const variables = (await client.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
    assert.match(variables.find((v) => v.name === 'error code')?.value ?? '', /^0x0*2 \(not present, write, kernel\)$/);
  });

  it('a launch attribute with no effect is warned about in the debug console', async () => {
    const warned = new Promise<string>((resolve) => {
      client.on('output', (event: DebugProtocol.OutputEvent) => {
        if (/warning/.test(event.body.output)) resolve(event.body.output);
      });
    });
    await launchAndStop(client, { program: path.join(EXAMPLES, 'hello.g32'), virtualization: 'hardware-assist', kernelShadows: 'flush-on-switch' });
    assert.match(await warned, /warning: launch attribute 'kernelShadows' flush-on-switch has no effect with hardware-assist and nested paging/);
  });
});
