// perfaudit for VS Code: starts the perfaudit language server (Python) for
// TypeScript, JavaScript, Prisma and .env documents. The .vsix carries the
// server and its dependencies in bundled/libs; it runs with the user's Python.
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
const PYTHON_HINT =
  'The extension carries the perfaudit server and runs it with Python 3.11 or newer: ' +
  'install one (python3 on PATH), select it in the Python extension, or set perfaudit.interpreter to it; ' +
  'or set perfaudit.path to a `perfaudit` executable.';
// The launcher's exit status for "this Python cannot run the bundled server".
const UNSUITABLE = 3;

// Settings only the extension reads; the server would report them as unknown.
const CLIENT_ONLY = new Set(['path', 'interpreter']);

// The settings the server reads (server/lsp/settings.py).
const SERVER_KEYS = [
  'enable', 'select', 'ignore', 'exclude', 'severity', 'rules', 'roles', 'unsafeFixes', 'trace', 'debounceMs', 'logs',
  'logPattern',
];

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

/** The interpreter the Python extension (ms-python.python) has selected for the workspace, if any. */
async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (!ext) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const api: any = ext.isActive ? ext.exports : await ext.activate();
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const environments = api?.environments;
    if (environments?.getActiveEnvironmentPath) {
      const active = environments.getActiveEnvironmentPath(resource);
      const resolved = await environments.resolveEnvironment(active);
      const exe: string | undefined = resolved?.executable?.uri?.fsPath ?? active?.path;
      if (exe) return exe;
    }
    const details = api?.settings?.getExecutionDetails?.(resource);
    return details?.execCommand?.[0];
  } catch (err) {
    output.info(`the Python extension's interpreter could not be read: ${err}`);
    return undefined;
  }
}

/** The bundled server's launcher, when this build of the extension carries one. */
function bundledLauncher(context: vscode.ExtensionContext): string | undefined {
  const launcher = context.asAbsolutePath(path.join('bundled', 'tool', 'serve.py'));
  const libs = context.asAbsolutePath(path.join('bundled', 'libs', 'perfaudit'));
  return fs.existsSync(launcher) && fs.existsSync(libs) ? launcher : undefined;
}

/** Whether `python` can run the bundled server; the launcher says why not. */
function probe(python: string, launcher: string): { ok: boolean; detail: string } {
  const run = spawnSync(python, ['-I', launcher, '--check'], { timeout: 30000, windowsHide: true, encoding: 'utf8' });
  if (run.error) return { ok: false, detail: `${python}: ${run.error.message}` };
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.status === 0) return { ok: true, detail: text };
  return { ok: false, detail: run.status === UNSUITABLE ? text.replace(/^perfaudit: /, '') : `${python} -I ${launcher} --check: exit ${run.status}: ${text}` };
}

/**
 * perfaudit.path, else the bundled server with a Python >= 3.11: perfaudit.interpreter,
 * else the Python extension's interpreter, else python3 (py, python on Windows) on PATH.
 * A build without bundled/libs (npm run compile) falls back to `perfaudit` on PATH.
 */
async function findServer(context: vscode.ExtensionContext): Promise<Found | string> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const given = (config.get<string>('path') ?? '').trim();
  if (given) {
    const exe = expand(given);
    if (isExecutable(exe)) return { command: exe, args: ['serve'], how: `perfaudit.path (${exe})` };
    const found = onPath(exe);
    if (found) return { command: found, args: ['serve'], how: `perfaudit.path (${found})` };
    return `The setting perfaudit.path is "${given}", which is no executable file.`;
  }
  const launcher = bundledLauncher(context);
  if (!launcher) {
    const exe = onPath('perfaudit');
    if (exe) return { command: exe, args: ['serve'], how: `perfaudit on PATH (${exe})` };
    return 'This build of the extension carries no server (bundled/libs: npm run bundle) and there is no perfaudit on PATH.';
  }
  const interpreter = (config.get<string>('interpreter') ?? '').trim();
  const candidates: { python: string; from: string }[] = [];
  if (interpreter) {
    candidates.push({ python: expand(interpreter), from: 'perfaudit.interpreter' });
  } else {
    const selected = await pythonExtensionInterpreter();
    if (selected) candidates.push({ python: selected, from: "the Python extension's interpreter" });
    for (const name of process.platform === 'win32' ? ['py', 'python'] : ['python3', 'python']) {
      const exe = onPath(name);
      if (exe) candidates.push({ python: exe, from: `${name} on PATH` });
    }
  }
  const refused: string[] = [];
  for (const { python, from } of candidates) {
    const result = probe(python, launcher);
    if (result.ok) {
      return { command: python, args: ['-I', launcher], how: `the bundled server (${result.detail}), Python from ${from}` };
    }
    refused.push(`${from}: ${result.detail}`);
  }
  if (!candidates.length) return 'No Python was found (no python3 on PATH, no interpreter selected in the Python extension).';
  return `No Python can run it. ${refused.join('; ')}.`;
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
  output.error(`${reason} ${PYTHON_HINT}`);
  const choice = await vscode.window.showErrorMessage(
    `perfaudit: the language server could not be started. ${reason} ${PYTHON_HINT}`,
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
  const found = await findServer(context);
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
      .showErrorMessage(`perfaudit: the server (${found.how}) failed to start: ${err}. ${PYTHON_HINT}`, 'Show output')
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

/** Restart when the Python extension's selected interpreter changes (and perfaudit.interpreter is unset). */
function watchPythonExtension(context: vscode.ExtensionContext): void {
  const ext = vscode.extensions.getExtension('ms-python.python');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const event = (ext?.isActive ? (ext.exports as any) : undefined)?.environments?.onDidChangeActiveEnvironmentPath;
  if (typeof event !== 'function') return;
  context.subscriptions.push(
    event(async () => {
      const config = vscode.workspace.getConfiguration(SECTION);
      if ((config.get<string>('path') ?? '').trim() || (config.get<string>('interpreter') ?? '').trim()) return;
      await stop();
      await start(context);
    }),
  );
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
      const changed = ['perfaudit.path', 'perfaudit.interpreter'].filter((key) => event.affectsConfiguration(key));
      if (changed.length) {
        output.info(`${changed.join(' and ')} changed: restarting the server`);
        await stop();
        await start(context);
      }
    }),
  );
  watchPythonExtension(context);
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
