/**
 * The built pages in headless Chromium: the ranked table and charts are there, nothing fails to
 * load, nothing logs an error, the markup is accessible, and a phone screen does not overflow.
 * Screenshots go to test-artifacts/.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { bufferIO } from "../../src/commands/io.ts";
import { leaderboardBuildCommand } from "../../src/commands/leaderboard-build.ts";
import { reportCommand } from "../../src/commands/report.ts";
import { artifactPath, launchBrowser, type PageProblems, watch } from "../helpers/browser.ts";
import { testDataset } from "../helpers/governance-tree.ts";
import { BENCHMARK, laterDataset, makeBoardTree, result, resultFile, resultPath } from "./fixture.ts";

async function site(): Promise<{ out: string; report: string }> {
  const later = laterDataset("north-general");
  const root = await makeBoardTree(
    (files) => {
      files.set(
        resultPath("south-coast-2026q4", "shortcut-cnn"),
        resultFile(
          result({ model: "shortcut-cnn", dataset: testDataset("south-coast"), shift: 7, sign: false }),
        ),
      );
    },
    {
      datasets: [later],
      results: [
        result({ model: "effusion-net-v2", dataset: later, shift: 3, finishedAt: "2027-01-10T00:00:00Z" }),
      ],
    },
  );
  const dir = await mkdtemp(join(tmpdir(), "fedeval-pages-"));
  const out = join(dir, "site");
  await leaderboardBuildCommand({ root, out, allowUnsigned: true, cwd: process.cwd() }, bufferIO());
  const report = join(dir, "report.html");
  await reportCommand(
    {
      root,
      benchmark: BENCHMARK,
      model: "effusion-net-v2",
      out: report,
      allowUnsigned: false,
      commit: "abc1234",
      cwd: process.cwd(),
    },
    bufferIO(),
  );
  return { out, report };
}

function clean(problems: PageProblems, root: string): void {
  assert.deepEqual(problems.console, []);
  assert.deepEqual(problems.errors, []);
  assert.deepEqual(problems.failed, []);
  for (const url of problems.requests)
    assert.ok(url.startsWith(pathToFileURL(root).href), `request outside the output folder: ${url}`);
}

/** Accessibility basics every page must meet. */
async function accessible(page: Page): Promise<void> {
  const facts = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.title,
    scripts: document.querySelectorAll("script").length,
    tables: document.querySelectorAll("table").length,
    captionless: [...document.querySelectorAll("table")].filter((t) => !t.caption?.textContent?.trim())
      .length,
    unscoped: [...document.querySelectorAll("th")].filter(
      (th) => !["col", "row"].includes(th.getAttribute("scope") ?? ""),
    ).length,
    svgs: document.querySelectorAll("svg").length,
    unlabelledSvgs: [...document.querySelectorAll("svg")].filter(
      (s) =>
        !s.querySelector(":scope > title")?.textContent?.trim() ||
        !s.querySelector(":scope > desc")?.textContent?.trim(),
    ).length,
    h1: document.querySelectorAll("h1").length,
  }));
  assert.equal(facts.lang, "en");
  assert.ok(facts.title.length > 0);
  assert.equal(facts.scripts, 0, "no JavaScript");
  assert.ok(facts.tables > 0);
  assert.equal(facts.captionless, 0, "every table has a caption");
  assert.equal(facts.unscoped, 0, "every header cell has a scope");
  assert.equal(facts.unlabelledSvgs, 0, "every chart has a title and a description");
  assert.equal(facts.h1, 1);
}

describe("leaderboard pages in headless Chromium", async () => {
  const { out, report } = await site();
  const url = (path: string) => pathToFileURL(join(out, path)).href;

  test("benchmark page: ranked table, forest plot, heat map, drift chart; clean load; screenshots", async (t) => {
    const browser = await launchBrowser(t);
    if (!browser) return;
    try {
      const page = await browser.context.newPage();
      const problems = watch(page);
      await page.goto(url(`benchmarks/${BENCHMARK}/index.html`));
      const ranked = page.locator("table.ranked").first();
      assert.match((await ranked.locator("caption").textContent()) ?? "", /Ranked by pooled AUROC/);
      assert.equal(
        await ranked.locator("tbody tr").count(),
        3,
        "every model reports on every site (the preview includes the unsigned result)",
      );
      assert.match(
        (await ranked.locator("tbody tr").first().textContent()) ?? "",
        /^1ranks 1–\d.*EffusionNet v2/s,
      );
      assert.equal(await page.locator("svg.forest").count(), 1);
      assert.equal(await page.locator("svg.forest circle").count(), 3);
      assert.equal(await page.locator("table.heat tbody tr").count(), 3);
      assert.ok((await page.locator("table.heat td.h4").count()) > 0, "the heat map is coloured");
      assert.match(
        (await page.locator("table.heat").textContent()) ?? "",
        /†/,
        "the unsigned cell is marked",
      );
      assert.equal(await page.locator("#drift svg").count(), 1);
      assert.equal(await page.locator("#drift circle.alert").count(), 1);
      // the stylesheet applied
      assert.equal(
        await page
          .locator("table.heat td.h4")
          .first()
          .evaluate((td) => getComputedStyle(td).backgroundColor),
        "rgb(107, 174, 214)",
      );
      await accessible(page);
      await page.screenshot({ path: await artifactPath("leaderboard-benchmark.png"), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(
        overflow <= 0,
        `the phone page scrolls sideways by ${overflow}px (wide tables must scroll inside their box)`,
      );
      await page.screenshot({ path: await artifactPath("leaderboard-benchmark-phone.png") });
      clean(problems, out);
    } finally {
      await browser.close();
    }
  });

  test("model, site and index pages load cleanly; the provenance drawer opens without JavaScript", async (t) => {
    const browser = await launchBrowser(t);
    if (!browser) return;
    try {
      const page = await browser.context.newPage();
      const problems = watch(page);
      await page.goto(`${url(`benchmarks/${BENCHMARK}/models/shortcut-cnn.html`)}#site-south-coast`);
      await accessible(page);
      assert.equal(await page.locator("svg.forest").count(), 4, "one forest plot per metric");
      assert.equal(await page.locator("svg.forest polygon.pooled").count(), 4);
      const drawer = page.locator("#site-south-coast details.prov");
      assert.equal(await drawer.locator("dl").isVisible(), false);
      await drawer.locator("summary").click();
      assert.equal(await drawer.locator("dl").isVisible(), true);
      assert.match(
        (await drawer.textContent()) ?? "",
        /unsigned: NOT verified[\s\S]*fedeval-tree-v1:sha256:/,
      );
      await page.screenshot({ path: await artifactPath("leaderboard-model.png"), fullPage: true });
      for (const path of ["index.html", "sites/north-general.html"]) {
        await page.goto(url(path));
        await accessible(page);
      }
      await page.locator("a", { hasText: "Pleural effusion" }).first().click();
      assert.match(page.url(), /benchmarks\/pleural-effusion-demo\/index\.html$/);
      clean(problems, out);
    } finally {
      await browser.close();
    }
  });

  test("the report loads nothing but itself", async (t) => {
    const browser = await launchBrowser(t);
    if (!browser) return;
    try {
      const page = await browser.context.newPage();
      const problems = watch(page);
      await page.goto(pathToFileURL(report).href);
      await accessible(page);
      assert.deepEqual(problems.requests, [pathToFileURL(report).href]);
      assert.equal(
        await page.locator("body").evaluate((b) => getComputedStyle(b).margin),
        "0px",
        "the inline stylesheet applied",
      );
      await page.screenshot({ path: await artifactPath("leaderboard-report.png"), fullPage: true });
      clean(problems, report);
    } finally {
      await browser.close();
    }
  });
});
