/**
 * The real browser of the e2e tests: Debian's chromium driven by playwright-core. CI installs it (.ci/run) and must
 * run these tests; elsewhere a missing browser skips them visibly (`chromiumMissing` is the reason).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true')
  throw new Error(`${CHROMIUM} is missing in CI: .ci/run installs the Debian package chromium`);

/** Why the browser tests are skipped here, or '' when chromium is installed. */
export const chromiumMissing = hasChromium ? '' : `${CHROMIUM} not found (apt-get install chromium)`;

/**
 * Headless chromium with the flags this machine needs: no sandbox (root), and no background networking, which the
 * closed network would refuse many times over. `extraArgs` are added (e.g. a test CA's key to trust).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
