import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Real headless Chromium for the browser suites (the example SPA, the docs page): the
 * system's binary, driven by playwright-core, with everything that would reach the
 * network on its own (updates, sync, QUIC, background requests) switched off.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumInstalled = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  if (!chromiumInstalled) throw new Error(`${CHROMIUM} is required (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
