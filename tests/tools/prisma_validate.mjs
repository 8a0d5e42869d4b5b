// Validates Prisma schema files with Prisma's own validator (WebAssembly,
// @prisma/prisma-schema-wasm; no engines, no network):
//   node prisma_validate.mjs WASM_DIR SCHEMA_FILE...
// Exit 0 when valid; 1 with Prisma's messages on stderr when not.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [dir, ...files] = process.argv.slice(2);
const wasm = createRequire(path.join(path.resolve(dir), 'package.json'))('@prisma/prisma-schema-wasm');
const schema = files.map((file) => [path.basename(file), fs.readFileSync(file, 'utf8')]);
try {
  wasm.validate(JSON.stringify({ prismaSchema: schema, noColor: true }));
  console.log('valid');
} catch (err) {
  const text = String(err && err.message ? err.message : err);
  let message = text;
  try {
    message = JSON.parse(text).message ?? text;
  } catch {}
  console.error(message);
  process.exit(1);
}
