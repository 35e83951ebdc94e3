/**
 * The demo configuration (config/default.yaml) ships with API keys and beheer passwords that are printed in the
 * README: anyone who can reach it can send and manage berichten. It may serve on a loopback address only.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { defaultConfigPath } from './load.ts';

/** Whether `host` (server.host / SCHAKEL_HOST) only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice('::ffff:'.length));
  return false;
}

/** Whether `file` is the embedded demo configuration, at its own path or copied somewhere else unchanged. */
export function isDemoConfig(file: string): boolean {
  const demo = defaultConfigPath();
  if (resolve(file) === resolve(demo)) return true;
  try {
    return readFileSync(file, 'utf8') === readFileSync(demo, 'utf8');
  } catch {
    return false;
  }
}

/** Why serving this configuration on this address is refused (one line), or null when it may be served. */
export function demoServeRefusal(file: string, host: string): string | null {
  if (isLoopbackHost(host) || !isDemoConfig(file)) return null;
  return (
    `refusing to serve the demo configuration (${file}) on ${host}: its keys and passwords are public; ` +
    'give your own configuration (--config FILE or SCHAKEL_CONFIG) or serve on 127.0.0.1'
  );
}
