/** Debian's chromium for the browser tests, driven by playwright-core. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];

/** Debian's chromium (CHROMIUM_PATH overrides); missing is a failure that says how to install it, never a skip. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  for (const c of candidates) if (existsSync(c!)) return c!;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'browser tests need chromium: install it with `sudo apt-get install chromium` (or set CHROMIUM_PATH to a Chromium binary)',
    );
  }
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** The page built by Vite from the current source, in a temporary directory. */
  webRoot: string;
  /** Every script error, console error and HTTP status ≥ 400 the page met: a test asserts it is empty. */
  problems: string[];
  /** Closes the browser and removes the page build and the profile. */
  close(): Promise<void>;
}

/** Builds the page and opens headless chromium on a fresh profile, recording every problem the page meets. */
export async function openTestBrowser(): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  const webRoot = mkdtempSync(join(tmpdir(), 'attend-serve-web-'));
  const profile = mkdtempSync(join(tmpdir(), 'attend-serve-profile-'));
  await build({ configFile: 'web/vite.config.ts', logLevel: 'warn', build: { outDir: webRoot, emptyOutDir: true } });
  const context = await chromium.launchPersistentContext(profile, { executablePath, args: CHROMIUM_ARGS, headless: true }); // prettier-ignore
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width: 1100, height: 900 });
  const problems: string[] = [];
  // any script error or CSP violation (printed to the console) fails the test
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  return {
    context,
    page,
    webRoot,
    problems,
    close: async () => {
      await context.close();
      for (const d of [webRoot, profile]) rmSync(d, { recursive: true, force: true });
    },
  };
}
