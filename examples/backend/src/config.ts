import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Read once at startup: blocking here is fine, no request is being served yet.
const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

export const config = {
  env: process.env.NODE_ENV ?? 'development',
  port: Number(process.env.PORT ?? 3000),
  name: pkg.name,
  version: pkg.version,
  sessionTtlSeconds: 60 * 60 * 24 * 7,
  openLibraryUrl: process.env.OPEN_LIBRARY_URL ?? 'https://openlibrary.org',
  adminEmail: process.env.ADMIN_EMAIL ?? '',
};
