/**
 * The editor contract, three ways: the server's payload dataclasses
 * (spinlens.lsp.methods / payloads, dumped by fixtures/dump_contract.py),
 * extension/src/protocol.ts and docs/protocol.md. A command, or a field of its
 * arguments or result (`?` marks an optional one), of a type a result nests, of
 * the notification, or a setting, that one side has and another lacks fails
 * here. Also: fixtures/events.json is what make_fixtures.py makes now.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendPython, repoFile } from './fixtures';

interface Contract {
  commands: Record<string, { args: string[]; result: string[] }>;
  types: Record<string, string[]>;
  notifications: Record<string, string[]>;
  settings: string[];
  clientCommands: string[];
}

const sorted = (names: Iterable<string>): string[] => [...names].sort();

// ---------------------------------------------------------------------------
// protocol.ts
// ---------------------------------------------------------------------------

interface Mirror {
  /** Command name -> its Args and Result type names. */
  commands: Map<string, { args: string; result: string }>;
  /** Notification method -> its Params type name. */
  notifications: Map<string, string>;
  /** Interface name -> its fields (inherited ones too), `?` on optional ones. */
  interfaces: Map<string, string[]>;
  clientCommands: string[];
}

function readMirror(): Mirror {
  const file = repoFile('extension/src/protocol.ts');
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const declared = new Map<string, ts.InterfaceDeclaration>();
  const mirror: Mirror = { commands: new Map(), notifications: new Map(), interfaces: new Map(), clientCommands: [] };
  const typeArgs = (node: ts.NewExpression): string[] => (node.typeArguments ?? []).map((t) => t.getText(sf));
  const firstString = (node: ts.NewExpression): string | undefined => {
    const arg = node.arguments?.[0];
    return arg && ts.isStringLiteral(arg) ? arg.text : undefined;
  };
  for (const statement of sf.statements) {
    if (ts.isInterfaceDeclaration(statement)) declared.set(statement.name.text, statement);
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      let init = decl.initializer;
      while (init && (ts.isAsExpression(init) || ts.isParenthesizedExpression(init))) init = init.expression;
      if (!init) continue;
      const name = decl.name.getText(sf);
      if (ts.isNewExpression(init) && init.expression.getText(sf) === 'ServerNotificationType') {
        const method = firstString(init);
        const [params] = typeArgs(init);
        if (method && params) mirror.notifications.set(method, params);
      }
      if (!ts.isObjectLiteralExpression(init)) continue;
      for (const prop of init.properties) {
        if (!ts.isPropertyAssignment(prop)) continue;
        const value = prop.initializer;
        if (name === 'ServerCommand' && ts.isNewExpression(value)) {
          const command = firstString(value);
          const [args, result] = typeArgs(value);
          if (command && args && result) mirror.commands.set(command, { args, result });
        }
        if (name === 'ClientCommand' && ts.isStringLiteral(value)) mirror.clientCommands.push(value.text);
      }
    }
  }
  const fieldsOf = (name: string): string[] => {
    const node = declared.get(name);
    if (!node) return [];
    const inherited = (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => fieldsOf(t.expression.getText(sf))));
    const own = node.members
      .filter(ts.isPropertySignature)
      .map((m) => m.name.getText(sf) + (m.questionToken ? '?' : ''));
    return [...inherited.flat(), ...own];
  };
  for (const name of declared.keys()) mirror.interfaces.set(name, fieldsOf(name));
  return mirror;
}

// ---------------------------------------------------------------------------
// docs/protocol.md
// ---------------------------------------------------------------------------

/** The top-level keys of the first `{...}` in `text` (`a?` kept optional). */
function keysOf(text: string): string[] | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  const keys: string[] = [];
  let depth = 0;
  let part = '';
  for (const ch of text.slice(start + 1).replace(/\\\|/g, '|')) {
    if (depth === 0 && (ch === ',' || ch === '}')) {
      const key = /^\s*([A-Za-z_]+\??)/.exec(part)?.[1];
      if (key) keys.push(key);
      part = '';
      if (ch === '}') return keys;
      continue;
    }
    if ('{[('.includes(ch)) depth++;
    if ('}])'.includes(ch)) depth--;
    part += ch;
  }
  return undefined;
}

/** The cells of a markdown table row (escaped pipes kept inside cells). */
function cells(line: string): string[] {
  return line
    .replace(/\\\|/g, '\u0000')
    .split('|')
    .slice(1, -1)
    .map((c) => c.replace(/\u0000/g, '\\|').trim());
}

interface Documented {
  commands: Map<string, { args: string[]; result: string[] }>;
  types: Map<string, string[]>;
  notifications: Map<string, string[]>;
  settings: string[];
}

function readDoc(): Documented {
  const doc = readFileSync(repoFile('docs/protocol.md'), 'utf8');
  const server = doc.slice(doc.indexOf('## Language server'));
  const documented: Documented = { commands: new Map(), types: new Map(), notifications: new Map(), settings: [] };
  for (const line of server.split('\n')) {
    if (!line.startsWith('|')) continue;
    const [first = '', second = '', third = ''] = cells(line);
    const name = /^`([^`]+)`$/.exec(first)?.[1];
    if (!name) continue;
    if (name.startsWith('spinlens.server.')) {
      documented.commands.set(name, { args: keysOf(second) ?? [], result: keysOf(third) ?? [] });
    } else if (/^[A-Z]\w+$/.test(name)) {
      documented.types.set(name, keysOf(second) ?? []);
    } else if (name.includes('/') && !name.startsWith('$')) {
      documented.notifications.set(name, keysOf(second) ?? []);
    }
  }
  const options = server.slice(server.indexOf('### Initialization options'));
  documented.settings = keysOf(options.slice(options.indexOf('`{'))) ?? [];
  return documented;
}

// ---------------------------------------------------------------------------

describe('the editor contract: payloads.py, protocol.ts and docs/protocol.md agree', () => {
  let server: Contract;
  const mirror = readMirror();
  const doc = readDoc();

  beforeAll(() => {
    const out = execFileSync(backendPython(), [repoFile('tests/extension/fixtures/dump_contract.py')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    server = JSON.parse(out) as Contract;
  }, 60_000);

  it('has the same commands on all three sides', () => {
    expect(sorted(mirror.commands.keys())).toEqual(sorted(Object.keys(server.commands)));
    expect(sorted(doc.commands.keys())).toEqual(sorted(Object.keys(server.commands)));
  });

  it("has the same fields in every command's arguments and result", () => {
    for (const [name, fields] of Object.entries(server.commands)) {
      const types = mirror.commands.get(name);
      expect(types, name).toBeDefined();
      if (!types) continue;
      expect(sorted(mirror.interfaces.get(types.args) ?? []), `${name} arguments (${types.args})`).toEqual(sorted(fields.args));
      expect(sorted(mirror.interfaces.get(types.result) ?? []), `${name} result (${types.result})`).toEqual(sorted(fields.result));
      expect(sorted(doc.commands.get(name)?.args ?? []), `${name} arguments in the doc`).toEqual(sorted(fields.args));
      expect(sorted(doc.commands.get(name)?.result ?? []), `${name} result in the doc`).toEqual(sorted(fields.result));
    }
  });

  it('has the same fields in the types the results nest', () => {
    expect(Object.keys(server.types).length).toBeGreaterThan(0);
    for (const [name, fields] of Object.entries(server.types)) {
      expect(sorted(mirror.interfaces.get(name) ?? []), `${name} in protocol.ts`).toEqual(sorted(fields));
      expect(sorted(doc.types.get(name) ?? []), `${name} in the doc`).toEqual(sorted(fields));
    }
    expect(sorted(doc.types.keys())).toEqual(sorted(Object.keys(server.types)));
  });

  it("has the same notifications, with the same params", () => {
    expect(sorted(mirror.notifications.keys())).toEqual(sorted(Object.keys(server.notifications)));
    expect(sorted(doc.notifications.keys())).toEqual(sorted(Object.keys(server.notifications)));
    for (const [method, fields] of Object.entries(server.notifications)) {
      const params = mirror.notifications.get(method) ?? '';
      expect(sorted(mirror.interfaces.get(params) ?? []), `${method} (${params})`).toEqual(sorted(fields));
      expect(sorted(doc.notifications.get(method) ?? []), `${method} in the doc`).toEqual(sorted(fields));
    }
  });

  it('has the same settings (initialization options)', () => {
    expect(sorted(mirror.interfaces.get('ServerOptions') ?? [])).toEqual(sorted(server.settings));
    expect(sorted(doc.settings)).toEqual(sorted(server.settings));
  });

  it('has a client command for every command the lenses call', () => {
    for (const name of server.clientCommands) expect(mirror.clientCommands).toContain(name);
  });
});

describe('fixtures/events.json', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'spinlens-fixtures-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is what make_fixtures.py makes from the backend now', () => {
    const fresh = path.join(dir, 'events.json');
    execFileSync(backendPython(), [repoFile('tests/extension/fixtures/make_fixtures.py'), '--out', fresh], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const committed = readFileSync(repoFile('tests/extension/fixtures/events.json'), 'utf8');
    // Regenerate with: .venv/bin/python tests/extension/fixtures/make_fixtures.py
    expect(JSON.parse(committed)).toEqual(JSON.parse(readFileSync(fresh, 'utf8')));
  }, 60_000);
});
