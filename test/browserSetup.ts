import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM, DEBIAN_CHROMIUM } from './support/browser.ts';

/**
 * Installs Debian's Chromium for the browser tests when it is missing, once, through the project's
 * own script. Where that cannot work (no root, no apt-get) the script says why and the browser
 * tests fail with one line naming what to run; the other end-to-end tests still run.
 */
export function setup(): void {
  // A Chromium of the user's choosing (XSAGA_TEST_CHROMIUM) is theirs to install.
  if (existsSync(CHROMIUM) || CHROMIUM !== DEBIAN_CHROMIUM) return;
  console.error(`${CHROMIUM} is missing: installing Debian's Chromium for the browser tests (scripts/install-chromium.sh, once)…`);
  try {
    execFileSync('bash', ['scripts/install-chromium.sh'], { stdio: 'inherit' });
  } catch {
    console.error('could not install Chromium; the browser tests will fail until scripts/install-chromium.sh has run');
  }
}
