// perfaudit for VS Code: starts `perfaudit serve` (a Python language server)
// for TypeScript, JavaScript, Prisma and .env documents.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
  Executable,
} from 'vscode-languageclient/node';

const SECTION = 'perfaudit';
const FIX_ALL_KIND = 'source.fixAll.perfaudit';
const INSTALL_HINT =
  'Install it with `pip install perfaudit` (or `pipx install perfaudit`), ' +
  'or point the setting perfaudit.path at the `perfaudit` executable, ' +
  'or perfaudit.interpreter at a Python that has it.';

// Settings only the extension reads; the server would report them as unknown.
const CLIENT_ONLY = new Set(['path', 'interpreter']);

// The settings the server reads (server/lsp/settings.py).
const SERVER_KEYS = ['enable', 'select', 'ignore', 'exclude', 'severity', 'rules', 'unsafeFixes', 'trace', 'debounceMs'];

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;

interface Found {
  command: string;
  args: string[];
  how: string;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      if (isExecutable(candidate)) return candidate;
      const upper = path.join(dir, name + ext);
      if (ext && isExecutable(upper)) return upper;
    }
  }
  return undefined;
}

function expand(value: string): string {
  let out = value.replace(/^~(?=$|[\\/])/, process.env.HOME ?? process.env.USERPROFILE ?? '~');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder) out = out.replace(/\$\{workspaceFolder\}/g, folder);
  if (folder && !path.isAbsolute(out) && (out.includes('/') || out.includes('\\'))) out = path.join(folder, out);
  return out;
}

function pythonHasPerfaudit(python: string): boolean {
  const probe = spawnSync(python, ['-c', 'import perfaudit'], { timeout: 20000, windowsHide: true });
  return probe.status === 0;
}

/** perfaudit.path, else `perfaudit` on PATH, else `python -m perfaudit` (perfaudit.interpreter). */
function findServer(): Found | string {
  const config = vscode.workspace.getConfiguration(SECTION);
  const given = (config.get<string>('path') ?? '').trim();
  if (given) {
    const exe = expand(given);
    if (isExecutable(exe)) return { command: exe, args: ['serve'], how: `perfaudit.path (${exe})` };
    const found = onPath(exe);
    if (found) return { command: found, args: ['serve'], how: `perfaudit.path (${found})` };
    return `The setting perfaudit.path is "${given}", which is no executable file.`;
  }
  const exe = onPath('perfaudit');
  if (exe) return { command: exe, args: ['serve'], how: `perfaudit on PATH (${exe})` };
  const interpreter = (config.get<string>('interpreter') ?? '').trim();
  const pythons = interpreter ? [expand(interpreter)] : process.platform === 'win32' ? ['py', 'python'] : ['python3', 'python'];
  for (const python of pythons) {
    if (pythonHasPerfaudit(python)) {
      return { command: python, args: ['-m', 'perfaudit', 'serve'], how: `${python} -m perfaudit` };
    }
  }
  return interpreter
    ? `perfaudit was not found: perfaudit.path is empty, there is no perfaudit on PATH, and the Python of perfaudit.interpreter ("${interpreter}") cannot import perfaudit.`
    : `perfaudit was not found: perfaudit.path is empty, there is no perfaudit on PATH, and neither ${pythons.join(' nor ')} can import perfaudit.`;
}

/** The server's settings of one scope: only the keys it knows, unset ones left out. */
function serverSettings(scope?: vscode.Uri): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = config.get(key);
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

function stripClientOnly(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!CLIENT_ONLY.has(key) && v !== null && v !== undefined) out[key] = v;
  }
  return out;
}

async function notFound(reason: string): Promise<void> {
  output.error(`${reason} ${INSTALL_HINT}`);
  const choice = await vscode.window.showErrorMessage(
    `perfaudit: the language server could not be started. ${reason} ${INSTALL_HINT}`,
    'Open settings',
    'Show output',
  );
  if (choice === 'Open settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:perfaudit.perfaudit perfaudit.');
  } else if (choice === 'Show output') {
    output.show();
  }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const found = findServer();
  if (typeof found === 'string') {
    await notFound(found);
    return;
  }
  output.info(`starting the server: ${found.how}`);
  const run: Executable = { command: found.command, args: found.args, transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'typescript' },
      { scheme: 'file', language: 'typescriptreact' },
      { scheme: 'file', language: 'javascript' },
      { scheme: 'file', language: 'javascriptreact' },
      { scheme: 'file', language: 'prisma' },
      { scheme: 'file', pattern: '**/*.prisma' },
      { scheme: 'file', pattern: '**/.env' },
      { scheme: 'file', pattern: '**/.env.*' },
    ],
    initializationOptions: serverSettings(vscode.workspace.workspaceFolders?.[0]?.uri),
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
    middleware: {
      workspace: {
        // The server asks for section `perfaudit`: answer with its keys only.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return result.map((value, i) => (params.items[i]?.section === SECTION ? stripClientOnly(value) : value));
        },
      },
    },
  };
  client = new LanguageClient('perfaudit', 'perfaudit', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    output.error(`the server failed to start: ${err}`);
    void vscode.window
      .showErrorMessage(`perfaudit: the server (${found.how}) failed to start: ${err}. ${INSTALL_HINT}`, 'Show output')
      .then((choice) => choice && output.show());
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop(5000);
    } catch (err) {
      output.info(`stopping the server: ${err}`);
    }
  }
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('perfaudit: open a file to fix.');
    return;
  }
  const doc = editor.document;
  const whole = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      whole,
      FIX_ALL_KIND,
    )) ?? [];
  const ours = actions.filter((a) => a.kind && vscode.CodeActionKind.SourceFixAll.append('perfaudit').contains(a.kind));
  let applied = false;
  for (const action of ours) {
    if (action.edit) applied = (await vscode.workspace.applyEdit(action.edit)) || applied;
    if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
  }
  if (!applied) void vscode.window.showInformationMessage('perfaudit: nothing to fix automatically in this file.');
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('perfaudit', { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('perfaudit.restart', async () => {
      await stop();
      await start(context);
    }),
    vscode.commands.registerCommand('perfaudit.showOutput', () => output.show()),
    vscode.commands.registerCommand('perfaudit.fixAll', fixAll),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('perfaudit.path') || event.affectsConfiguration('perfaudit.interpreter')) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
