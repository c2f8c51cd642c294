// Injected into the web bundles: some dependencies read `process` (env, platform, nextTick), which a web worker lacks.
export const process = globalThis.process ?? {
  env: {},
  platform: 'browser',
  browser: true,
  argv: [],
  version: '',
  versions: {},
  cwd: () => '/',
  nextTick: (callback, ...args) => queueMicrotask(() => callback(...args)),
};

// The debugger's run loop yields between slices with setImmediate. A browser
// has none, and setTimeout(0) is clamped to 4 ms once nested, so a message
// channel stands in: its messages run as soon as the event loop is free.
const queued = new Map();
let nextHandle = 1;
let channel;

function channelOf() {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = (event) => {
      const callback = queued.get(event.data);
      if (!callback) return;
      queued.delete(event.data);
      callback();
    };
  }
  return channel;
}

export const setImmediate =
  globalThis.setImmediate ??
  ((callback, ...args) => {
    const handle = nextHandle++;
    queued.set(handle, () => callback(...args));
    channelOf().port2.postMessage(handle);
    return handle;
  });

export const clearImmediate =
  globalThis.clearImmediate ??
  ((handle) => {
    queued.delete(handle);
  });
