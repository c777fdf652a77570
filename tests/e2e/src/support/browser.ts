import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumRequirement, CHROMIUM_PATH, ensureDebianPackages } from '@evergreen/local-stack';
import { findRepoRoot } from '@evergreen/platform';

/** Where the browser tests leave their screenshots (git-ignored; CI keeps them as artifacts). */
export const SCREENSHOT_DIR = join(findRepoRoot(), 'test-results', 'console');

/**
 * Debian's Chromium, headless, driven by playwright-core: no browser is downloaded. Installs the
 * `chromium` package first when it is missing and we are root, as the stack installs PostgreSQL;
 * otherwise fails with the apt-get line to run.
 */
export async function launchChromium(): Promise<Browser> {
  await ensureDebianPackages([chromiumRequirement], (line) => console.log(`[e2e] ${line}`));
  // The sandbox needs user namespaces a root shell in a container rarely has; the page is our own.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/** Saves the whole page as test-results/console/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
