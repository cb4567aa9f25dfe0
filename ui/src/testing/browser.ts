/**
 * Browser tests against the real server: a Piper test server (its own database, the demo seed)
 * serving the built UI, and Debian's Chromium driven by playwright-core. Without Chromium the
 * suite is skipped with a message, except in CI (CI=true), where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../../core/src/testing/harness.js';
import type { Config } from '../../../core/src/config/config.js';

export const CHROMIUM = process.env.PIPER_CHROMIUM ?? '/usr/bin/chromium';
const UI_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** PIPER_TEST_UI_DIR: a UI bundle built elsewhere (another checkout of the UI) to test against. */
export const UI_DIST = process.env.PIPER_TEST_UI_DIR ?? path.join(UI_ROOT, 'dist');
export const RESULTS_DIR = path.join(UI_ROOT, 'test-results');
export const DEMO_PASSWORD = 'piper-demo-1';

/** `false` when Chromium is there, else the reason to skip; throws under CI=true. */
export function browserSkip(testFile: string): string | false {
  if (fs.existsSync(CHROMIUM)) return false;
  const problem = `Chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run does it)`;
  if (process.env.CI === 'true') throw new Error(`${testFile} needs a browser in CI: ${problem}`);
  console.warn(`${testFile} skipped: ${problem}`);
  return `skipped: ${problem}`;
}

let built = false;
/** The UI bundle the server serves: `npm run build` makes it; a test run without one builds it once. */
export function ensureUiBuilt(): void {
  if (built || fs.existsSync(path.join(UI_DIST, 'index.html'))) {
    built = true;
    return;
  }
  const result = spawnSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: UI_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('vite build of the UI failed');
  built = true;
}

export interface UiTestEnv {
  server: TestServer;
  browser: Browser;
  /** A fresh browser context (its own storage, so its own session) at 1,280 × 800. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function startUiTest(overrides: Partial<Config> = {}): Promise<UiTestEnv> {
  ensureUiBuilt();
  const server = await startTestServer({ uiDir: UI_DIST, publicUrl: 'http://127.0.0.1', ...overrides });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const contexts: BrowserContext[] = [];
  return {
    server,
    browser,
    async newPage() {
      const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await server.close();
    },
  };
}

/** Signs in through the login form and waits for the role's home page. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Saves a screenshot of the page as ui/test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Cmd on macOS, Ctrl elsewhere: what the page under test listens to. */
export const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';

/** Runs `steps`; when one fails, the page is saved as ui/test-results/<name>-failure.png first. */
export async function withFailureScreenshot(page: Page, name: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    await screenshot(page, `${name}-failure`).catch(() => undefined);
    throw error;
  }
}
