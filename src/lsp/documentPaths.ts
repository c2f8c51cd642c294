// Document URIs and the paths the assembler knows files by. A `file:` URI is
// its file path; a document of a virtual workspace (VS Code for the Web:
// `vscode-vfs://github/…`, `vscode-test-web://mount/…`) is its URI's path, and
// the scheme and authority are remembered to turn paths back into URIs; any
// other URI (`untitled:Untitled-1`) is its own name.

const HIERARCHICAL_URI = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/;

export class DocumentPaths {
  private workspace: { scheme: string; authority: string } | undefined;

  toPath(uri: string): string {
    const match = HIERARCHICAL_URI.exec(uri);
    if (!match) return uri;
    const [, scheme, authority, encodedPath] = match;
    const decoded = safeDecode(encodedPath) ?? encodedPath;
    if (scheme.toLowerCase() === 'file') {
      // file:///C:/dir/x.g32 is C:/dir/x.g32 on Windows; file://server/share is a UNC path.
      if (authority) return `//${authority}${decoded}`;
      return /^\/[a-zA-Z]:/.test(decoded) ? decoded.slice(1) : decoded;
    }
    this.workspace = { scheme, authority };
    return decoded || '/';
  }

  toUri(file: string): string {
    const isPath = file.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(file);
    if (!isPath) return file;
    const slashed = file.replace(/\\/g, '/');
    const encoded = slashed
      .split('/')
      .map((part, i) => (i === 0 && /^[a-zA-Z]:$/.test(part) ? part : encodeURIComponent(part)))
      .join('/');
    if (this.workspace && !slashed.startsWith('//')) return `${this.workspace.scheme}://${this.workspace.authority}${encoded}`;
    if (slashed.startsWith('//')) return `file:${encoded}`;
    return `file://${slashed.startsWith('/') ? '' : '/'}${encoded}`;
  }
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
