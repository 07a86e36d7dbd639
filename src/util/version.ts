import { readFileSync } from 'node:fs';

/**
 * PACKAGE_JSON is the package.json of this copy of keepvip: the repository's when run from
 * src/ or dist/, /usr/lib/keepvip/package.json in the Debian package (scripts/package-deb.sh
 * ships it beside dist/), so an installed copy reports the version its .deb carries.
 */
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/** readPackageVersion returns package.json's "version", or '0.0.0-unknown' when it cannot be read. */
export function readPackageVersion(url: URL = PACKAGE_JSON): string {
  try {
    const parsed = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' && parsed.version !== '' ? parsed.version : '0.0.0-unknown';
  } catch {
    return '0.0.0-unknown';
  }
}

/** VERSION is keepvip's release version: package.json's "version", read once at start-up. */
export const VERSION = readPackageVersion();
