/**
 * Headless Chromium for page tests: Debian's chromium driven by playwright-core, with a fresh
 * profile per launch. In CI (CI set) a missing browser fails the test; elsewhere it is skipped
 * with the reason.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium, or skips the test (fails it in CI) when it is not installed. */
export async function launchBrowser(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install chromium (.ci/run does)`);
    t.skip(`${CHROMIUM} is not installed (apt-get install -y chromium)`);
    return undefined;
  }
  const profile = await mkdtemp(join(tmpdir(), "fedeval-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** What went wrong while a page loaded: console errors, uncaught exceptions, failed requests. */
export interface PageProblems {
  console: string[];
  errors: string[];
  failed: string[];
  requests: string[];
}

export function watch(page: Page): PageProblems {
  const problems: PageProblems = { console: [], errors: [], failed: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.errors.push(e.message));
  page.on("requestfailed", (r) => problems.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("request", (r) => problems.requests.push(r.url()));
  return problems;
}

/** Where screenshots go: test-artifacts/ at the repository root (gitignored). */
export async function artifactPath(name: string): Promise<string> {
  const dir = join(process.cwd(), "test-artifacts");
  await mkdir(dir, { recursive: true });
  return join(dir, name);
}
