// Node's `url` for the web bundles: @vscode/debugadapter only uses its URL class, which browsers have.
export const URL = globalThis.URL;
export default { URL };
