// Builds the platform-specific .vsix: bundled/libs (scripts/bundle.py, with
// $PERFAUDIT_BUNDLE_PYTHON or python3, 3.11+) then `vsce package --target`
// for this machine (linux-x64, darwin-arm64, win32-x64, ...): the bundled
// tree-sitter binding is native code, so each platform gets its own .vsix.
//   node scripts/package.mjs                -> perfaudit-<target>-<version>.vsix
//   node scripts/package.mjs --bundle-only  -> only bundled/libs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.PERFAUDIT_BUNDLE_PYTHON || (process.platform === 'win32' ? 'python' : 'python3');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: HERE, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`${command} ${args.join(' ')} failed (${result.error ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

run(python, [path.join('scripts', 'bundle.py')]);
if (!process.argv.includes('--bundle-only')) {
  const { version } = JSON.parse(fs.readFileSync(path.join(HERE, 'package.json'), 'utf8'));
  const target = `${process.platform}-${process.arch}`;
  const vsce = path.join(HERE, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
  run(vsce, ['package', '--target', target, '--allow-missing-repository', '-o', `perfaudit-${target}-${version}.vsix`]);
}
