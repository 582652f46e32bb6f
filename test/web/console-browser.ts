// The real headless Chromium the console's end-to-end tests drive: one browser per test file, pages
// that record console errors and any request leaving the machine, sign-in and screenshots. It never
// builds the console: a test that finds it missing or stale fails and says how to build it.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { chromium, type Locator, type Page } from 'playwright-core';
import { webConsoleStale } from '../../scripts/build-if-stale.js';
import { projectRoot } from '../../src/domain/toolchain.js';

const SCREENSHOTS = join(projectRoot, 'test-output', 'screenshots');
const PAGE_TIMEOUT_MS = 120_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export type ConsoleBrowser = {
  /** A page in its own context (its own sessionStorage), so operator and tenant can be signed in side by side. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Console errors and uncaught exceptions of every page this browser opened. */
  readonly consoleErrors: string[];
  /** Requests of every page to anything but loopback. */
  readonly outsideRequests: string[];
};

export async function launchConsoleBrowser(t: Test): Promise<ConsoleBrowser> {
  // `npm test` builds it before tap starts; a test never rebuilds what other tests serve.
  if (await webConsoleStale()) throw new Error('the web console is not built or is stale: run `npm run build:web`');
  await mkdir(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  t.teardown(() => browser.close());
  const consoleErrors: string[] = [];
  const outsideRequests: string[] = [];
  return {
    consoleErrors,
    outsideRequests,
    async newPage(viewport = { width: 1100, height: 900 }) {
      const page = await browser.newPage({ viewport });
      // Every wait is for something that happens; a long default leaves only a hang to reach it,
      // never Chromium or the service being slow on loaded cores.
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(String(error)));
      page.on('request', (request) => {
        // The console's own origin, and the object store's presigned thumbnail links: both loopback.
        if (new URL(request.url()).hostname !== '127.0.0.1') outsideRequests.push(request.url());
      });
      return page;
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Opens the console and waits for its sign-in form; fails when GET / does not serve it. */
export async function openConsole(page: Page, url: string): Promise<void> {
  const served = await page.goto(url);
  if (served?.status() !== 200) throw new Error(`GET / answers ${served?.status()}: is the web-console plugin registered in src/server/app.ts?`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Token or API key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Runs in the page (the tests' own TypeScript has no DOM types, so page code is passed as text). */
export const storedToken = (page: Page) => page.evaluate<string | null>('sessionStorage.getItem("thumbforge.token")');
export const pageWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

/** Each matched element's `data-<name>` attribute, in document order (page code typed structurally: no DOM types here). */
export const dataOf = (locator: Locator, name: string) =>
  locator.evaluateAll((elements: Array<{ dataset: Record<string, string | undefined> }>, key: string) => elements.map((element) => element.dataset[key]), name);
/** Whether the element has the focus (told by its id). */
export async function isFocused(locator: Locator): Promise<boolean> {
  const id = await locator.getAttribute('id');
  return id !== null && id === (await locator.page().evaluate<string>('document.activeElement.id'));
}
