/**
 * What the extension accepts from the results webview.
 *
 * The webview is treated as untrusted: what it posts is checked against a fixed
 * set of shapes, anything else is dropped, and no message ever becomes code or a
 * shell command. A file it asks to open must be inside the workspace or be the
 * spun flow file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FromWebview } from './messages';

const MAX_PATH = 4096;
const MAX_LINE = 10_000_000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hasOnlyKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(value).every((k) => keys.includes(k));
}

/** The message if it is one of the accepted shapes, else undefined. */
export function parseWebviewMessage(raw: unknown): FromWebview | undefined {
  if (!isPlainObject(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
      return hasOnlyKeys(raw, ['type']) ? { type: 'ready' } : undefined;
    case 'cancel':
      return hasOnlyKeys(raw, ['type']) ? { type: 'cancel' } : undefined;
    case 'showSpin': {
      // A queue item's request id (the store makes `<uuid>-<n>`); panel.ts looks it up among the items it listed.
      if (!hasOnlyKeys(raw, ['type', 'requestId'])) return undefined;
      const { requestId } = raw;
      if (typeof requestId !== 'string' || !/^[A-Za-z0-9-]{1,100}$/.test(requestId)) return undefined;
      return { type: 'showSpin', requestId };
    }
    case 'openFile': {
      if (!hasOnlyKeys(raw, ['type', 'file', 'line'])) return undefined;
      const { file, line } = raw;
      if (typeof file !== 'string' || file.length === 0 || file.length > MAX_PATH) return undefined;
      if (file.includes('\0') || !path.isAbsolute(file)) return undefined;
      if (line === undefined || line === null) return { type: 'openFile', file, line: null };
      if (typeof line !== 'number' || !Number.isInteger(line) || line < 1 || line > MAX_LINE) {
        return undefined;
      }
      return { type: 'openFile', file, line };
    }
    case 'rowValue': {
      // An expanded row's value: an artifact of the spin on display, by name (panel.ts checks it is one).
      if (!hasOnlyKeys(raw, ['type', 'action', 'requestId', 'name'])) return undefined;
      const { action, requestId, name } = raw;
      if (action !== 'page' && action !== 'open' && action !== 'copy') return undefined;
      if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId) || requestId < 0) return undefined;
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_PATH) return undefined;
      return { type: 'rowValue', action, requestId, name };
    }
    default:
      return undefined;
  }
}

function isInside(file: string, root: string): boolean {
  const relative = path.relative(path.resolve(root), file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Whether the webview may open `file`: inside one of the workspace folders, or
 * exactly one of the allowed files (the flow file of the spin on display).
 */
export function isFileAllowed(
  file: string,
  workspaceRoots: readonly string[],
  allowedFiles: readonly string[],
): boolean {
  if (!path.isAbsolute(file) || file.includes('\0')) return false;
  const resolved = path.resolve(file);
  if (allowedFiles.some((allowed) => path.resolve(allowed) === resolved)) return true;
  // A symlink inside the workspace may lead anywhere: judge where it leads too.
  const real = realPath(resolved);
  return workspaceRoots.some((root) => isInside(resolved, root) && isInside(real, realPath(root)));
}

/** `p` with its symlinks resolved; `p` itself when it does not exist. */
function realPath(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p;
  }
}
