// Which real events complete which walkthrough step (no VS Code needed): the
// decision on hand-written DAP messages, then on the messages of the real
// debug adapter doing what the walkthrough asks (launch under
// trap-and-emulate, enable the protection-fault filter, step into the
// hypervisor), so a renamed frame or filter breaks this test rather than
// leaving the walkthrough's steps unchecked forever.

import * as assert from 'node:assert/strict';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { DapMessage, WALKTHROUGH_CONTEXT_KEYS, isLabGuest, progressFromAdapter, progressFromRequest } from '../../src/extension/walkthroughSteps';
import { fixture, withAdapterClient } from '../debug/helpers';

describe('walkthrough steps: which events complete them', () => {
  const request = (command: string, args: unknown): DapMessage => ({ type: 'request', command, arguments: args });
  const response = (command: string, body: unknown, success = true): DapMessage => ({ type: 'response', command, success, body });

  it('a lab is open when a .g32 file inside labs/<lab>/ is', () => {
    assert.ok(isLabGuest('/home/student/hyperstep/labs/01-privileged/guest.g32'));
    assert.ok(isLabGuest('C:\\course\\labs\\07-popf\\solution\\guest.G32'));
    assert.ok(!isLabGuest('/home/student/hyperstep/labs/01-privileged/README.md'));
    assert.ok(!isLabGuest('/home/student/hyperstep/examples/os/kernel.g32'));
    assert.ok(!isLabGuest('/home/student/hyperstep/labs/guest.g32'), 'a .g32 beside the labs, not in one');
    assert.ok(!isLabGuest('/home/student/mylabs/01/guest.g32'));
  });

  it('a session has started once the adapter is initialized or the launch succeeded', () => {
    assert.deepEqual(progressFromAdapter({ type: 'event', event: 'initialized' }), ['debugStarted']);
    assert.deepEqual(progressFromAdapter(response('launch', undefined)), ['debugStarted']);
    assert.deepEqual(progressFromAdapter(response('launch', undefined, false)), []);
  });

  it('the protection-fault filter counts whether ticked (filters) or given a condition (filterOptions)', () => {
    assert.deepEqual(progressFromRequest(request('setExceptionBreakpoints', { filters: ['syscall', 'protection-fault'] })), ['protectionFaultFilter']);
    assert.deepEqual(progressFromRequest(request('setExceptionBreakpoints', { filters: [], filterOptions: [{ filterId: 'protection-fault', condition: 'user' }] })), ['protectionFaultFilter']);
    assert.deepEqual(progressFromRequest(request('setExceptionBreakpoints', { filters: ['syscall'] })), []);
    assert.deepEqual(progressFromRequest(request('setExceptionBreakpoints', { filters: [] })), [], 'unticking is no progress');
    assert.deepEqual(progressFromAdapter(response('setExceptionBreakpoints', { breakpoints: [] })), [], 'only the request says which filters');
  });

  it('the hypervisor is entered when its frame is on top of the stack, not below it', () => {
    const hv = { id: 1, name: 'hypervisor trap(): protection fault at cli', line: 1, column: 1, source: { name: 'hypervisor trap(tf)', sourceReference: 7 } };
    const guest = { id: 2, name: '_start+4 [pretend kernel]', line: 5, column: 1, source: { path: '/l/guest.g32' } };
    assert.deepEqual(progressFromAdapter(response('stackTrace', { stackFrames: [hv, guest] })), ['inHypervisor']);
    assert.deepEqual(progressFromAdapter(response('stackTrace', { stackFrames: [guest] })), []);
    assert.deepEqual(progressFromAdapter(response('stackTrace', { stackFrames: [] })), []);
    assert.deepEqual(progressFromAdapter(response('stackTrace', undefined)), []);
  });

  it('ignores everything else', () => {
    assert.deepEqual(progressFromAdapter({ type: 'event', event: 'stopped', body: { reason: 'exception' } }), []);
    assert.deepEqual(progressFromRequest({ type: 'response', command: 'setExceptionBreakpoints', arguments: { filters: ['protection-fault'] } }), []);
    assert.deepEqual(progressFromRequest(request('launch', { program: 'x.g32' })), []);
  });

  it('every step has its own context key', () => {
    const keys = Object.values(WALKTHROUGH_CONTEXT_KEYS);
    assert.equal(new Set(keys).size, keys.length);
    for (const key of keys) assert.match(key, /^hyperstep\.walkthrough\.\w+$/);
  });
});

describe('walkthrough steps: on the real adapter', function () {
  this.timeout(20000);
  let client: DebugClient;
  withAdapterClient((started) => {
    client = started;
  });

  const asMessage = (message: DebugProtocol.ProtocolMessage): DapMessage => message;

  it('launch, the protection-fault filter and a step into the hypervisor complete their steps', async () => {
    const progress: string[] = [];
    const initialized = client.waitForEvent('initialized');
    // Listened for before the launch: the stop on entry may come before the launch's response is read.
    const onEntry = client.waitForEvent('stopped');
    const [launched] = await Promise.all([
      client.launch({ program: fixture('trap.g32'), virtualization: 'trap-and-emulate', stopOnEntry: true }),
      initialized.then(async (event) => {
        progress.push(...progressFromAdapter(asMessage(event)));
        const args: DebugProtocol.SetExceptionBreakpointsArguments = { filters: ['protection-fault'] };
        progress.push(...progressFromRequest({ type: 'request', command: 'setExceptionBreakpoints', arguments: args }));
        await client.setExceptionBreakpointsRequest(args);
        await client.configurationDoneRequest();
      }),
    ]);
    progress.push(...progressFromAdapter(asMessage(launched)));
    assert.deepEqual(progress, ['debugStarted', 'protectionFaultFilter', 'debugStarted']);

    await onEntry;
    const atFault = client.waitForEvent('stopped');
    await client.continueRequest({ threadId: 1 });
    await atFault; // before the hypervisor handles the cli
    assert.deepEqual(progressFromAdapter(asMessage(await client.stackTraceRequest({ threadId: 1 }))), [], 'the guest frame is on top');

    const inside = client.waitForEvent('stopped');
    await client.stepInRequest({ threadId: 1 });
    await inside;
    assert.deepEqual(progressFromAdapter(asMessage(await client.stackTraceRequest({ threadId: 1 }))), ['inHypervisor']);
  });
});
