// Debian's Chromium driven by playwright-core, as every browser test starts it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

/** A skip reason when Chromium is missing, for node:test's `skip`. */
export const noChromium = !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install chromium)`;

/**
 * Headless Chromium with background networking off: this machine's closed network refuses those
 * connections, many at a time, and slows every page.
 */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page of `width` x `height` px that collects uncaught page errors and takes full-page screenshots into `dir`. */
export async function openPage(browser: Awaited<ReturnType<typeof launchChromium>>, dir: string, height = 900) {
  const page = await browser.newPage({ viewport: { width: 1280, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const shot = (name: string) => page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  return { page, errors, shot };
}
