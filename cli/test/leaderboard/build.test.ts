import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import leaderboardSchema from "../../../schemas/leaderboard.schema.json" with { type: "json" };
import { UserError } from "../../src/base/errors.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { leaderboardBuildCommand } from "../../src/commands/leaderboard-build.ts";
import { toYaml } from "../../src/formats/yaml-write.ts";
import type { Model } from "../../src/governance/types.ts";
import type { Leaderboard } from "../../src/leaderboard/types.ts";
import { siteKey, testSite } from "../helpers/fixtures.ts";
import { testDataset } from "../helpers/governance-tree.ts";
import {
  BENCHMARK,
  laterDataset,
  MODELS,
  makeBoardTree,
  result,
  resultFile,
  resultPath,
  SITES,
} from "./fixture.ts";

const validate = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  return ajv.compile(leaderboardSchema);
})();

function assertValid(json: unknown): void {
  const ok = validate(json);
  assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
}

async function build(root: string, extra: { allowUnsigned?: boolean; out?: string } = {}) {
  const out = extra.out ?? join(await mkdtemp(join(tmpdir(), "fedeval-lb-")), "site");
  const io = bufferIO();
  const code = await leaderboardBuildCommand(
    { root, out, allowUnsigned: extra.allowUnsigned ?? false, cwd: process.cwd() },
    io,
  );
  assert.equal(code, 0);
  const json = JSON.parse(await readFile(join(out, "leaderboard.json"), "utf8")) as Leaderboard;
  return { out, io, json, read: (path: string) => readFile(join(out, path), "utf8") };
}

const SCRIPT_TITLE = `<script>alert("owned")</script> & "Co" <img src=x onerror=alert(1)>`;

describe("fedeval leaderboard build", async () => {
  const later = laterDataset("north-general");
  const root = await makeBoardTree(
    (files) => {
      // a model title that tries to inject markup
      const path = `benchmarks/${BENCHMARK}/models/shortcut-cnn.yaml`;
      const m = parse(files.get(path) as string) as Model;
      m.title = SCRIPT_TITLE;
      files.set(path, toYaml(m));
      // one unsigned result
      files.set(
        resultPath("south-coast-2026q4", "reference-logistic"),
        resultFile(
          result({ model: "reference-logistic", dataset: testDataset("south-coast"), shift: 5, sign: false }),
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
  const signed = await build(root);
  const preview = await build(root, { allowUnsigned: true });

  test("writes index, benchmark, model and site pages, one CSS file, JSON and CSV", async () => {
    const b = `benchmarks/${BENCHMARK}`;
    for (const path of [
      "index.html",
      "leaderboard.css",
      "leaderboard.json",
      "benchmarks.csv",
      "sites.csv",
      `${b}/index.html`,
      ...[
        "ranking",
        "metrics",
        "sites",
        "provenance",
        "heatmap",
        "subgroups",
        "drift",
        "efficiency",
        "excluded",
      ].map((t) => `${b}/${t}.csv`),
      ...MODELS.flatMap((m) => [`${b}/models/${m}.html`, `${b}/models/${m}.csv`]),
      ...SITES.flatMap((s) => [`sites/${s}.html`, `sites/${s}.csv`]),
    ]) {
      assert.ok((await signed.read(path)).length > 0, path);
    }
    assert.match(signed.io.err.join(""), /3 models, 3 sites, 8 results; left out: 1 unsigned/);
    // the ranking says how much sites disagree beyond sampling
    assert.match(await signed.read(`${b}/index.html`), /<td>SD [\d.]+, range [\d.]+, I² \d+\.\d%<\/td>/);
  });

  test("leaderboard.json validates against schemas/leaderboard.schema.json, signed and preview", () => {
    assertValid(signed.json);
    assertValid(preview.json);
    assert.equal(signed.json.build.allow_unsigned, false);
    assert.equal(preview.json.build.allow_unsigned, true);
    assert.equal(signed.json.build.commit, null, "the tree is not a git repository");
    const drift = signed.json.benchmarks[0]?.drift;
    assert.equal(drift?.alerts.length, 1, "the fixture exercises drift in the schema too");
  });

  test("the schema rejects what it should (it is not vacuous)", () => {
    const broken = structuredClone(signed.json) as unknown as {
      benchmarks: { models: { metrics: { auc: { pooled: Record<string, unknown> } } }[] }[];
    };
    const pooled = broken.benchmarks[0]?.models[0]?.metrics.auc.pooled as Record<string, unknown>;
    delete pooled.tau2;
    assert.equal(validate(broken), false);
    assert.equal(validate({ ...signed.json, extra: 1 }), false);
  });

  test("CSV files hold the JSON's numbers", async () => {
    const ranking = (await signed.read(`benchmarks/${BENCHMARK}/ranking.csv`)).trim().split("\r\n");
    const header = (ranking[0] as string).split(",");
    const first = (ranking[1] as string).split(",");
    const b = signed.json.benchmarks[0];
    const m = b?.models[0];
    assert.equal(first[header.indexOf("model")], m?.id);
    assert.equal(Number(first[header.indexOf("estimate")]), m?.metrics.auc?.pooled?.estimate);
    assert.equal(Number(first[header.indexOf("rank_high")]), m?.rank?.high);
    const heat = (await signed.read(`benchmarks/${BENCHMARK}/heatmap.csv`)).trim().split("\r\n");
    assert.equal(heat.length, 1 + 3, "one row per site");
    const excluded = await signed.read(`benchmarks/${BENCHMARK}/excluded.csv`);
    assert.match(excluded, new RegExp(`${resultPath("south-coast-2026q4", "reference-logistic")},unsigned,`));
  });

  test("the unsigned result is left out of the pages, and marked † in the preview", async () => {
    const page = `benchmarks/${BENCHMARK}/models/reference-logistic.html`;
    const signedPage = await signed.read(page);
    assert.doesNotMatch(signedPage, /id="site-south-coast"/);
    assert.match(signedPage, /Results left out/);
    const previewPage = await preview.read(page);
    assert.match(previewPage, /id="site-south-coast"/);
    assert.match(previewPage, /† not verified/);
    assert.match(previewPage, /unsigned: NOT verified/);
    assert.match(
      await preview.read(`benchmarks/${BENCHMARK}/index.html`),
      /1 result not verified \(preview built with --allow-unsigned\)/,
    );
  });

  test("data is escaped everywhere: a <script> model title never becomes markup", async () => {
    const escaped =
      "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &quot;Co&quot; &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;";
    for (const path of [
      "index.html",
      `benchmarks/${BENCHMARK}/index.html`,
      `benchmarks/${BENCHMARK}/models/shortcut-cnn.html`,
      "sites/north-general.html",
    ]) {
      const html = await signed.read(path);
      assert.doesNotMatch(html, /<script/i, path);
      assert.doesNotMatch(html, /<img/i, path);
    }
    const page = await signed.read(`benchmarks/${BENCHMARK}/index.html`);
    assert.ok(page.includes(escaped), "the title appears, escaped");
    // in SVG text too (the forest plot truncates long labels, still escaped)
    assert.match(page, /<text x="0" y="[\d.]+" dy="4">&lt;script&gt;/);
    assert.equal(
      signed.json.benchmarks[0]?.models.find((m) => m.id === "shortcut-cnn")?.title,
      SCRIPT_TITLE,
      "JSON keeps the raw title",
    );
    const csv = await signed.read(`benchmarks/${BENCHMARK}/ranking.csv`);
    assert.ok(csv.includes(`"<script>alert(""owned"")</script> & ""Co"" <img src=x onerror=alert(1)>"`));
  });

  test("templates never use triple-stash or unescaped blocks on data", async () => {
    const dir = join(process.cwd(), "templates", "leaderboard");
    const files = [
      ...(await readdir(dir)).map((f) => join(dir, f)),
      ...(await readdir(join(dir, "partials"))).map((f) => join(dir, "partials", f)),
    ];
    for (const f of files.filter((x) => x.endsWith(".hbs"))) {
      const text = await readFile(f, "utf8");
      assert.doesNotMatch(text, /\{\{\{|\{\{&/, f);
    }
  });

  test("pages are reproducible: building twice gives the same bytes", async () => {
    const again = await build(root);
    for (const path of [
      "leaderboard.json",
      `benchmarks/${BENCHMARK}/index.html`,
      `benchmarks/${BENCHMARK}/models/effusion-net-v2.html`,
    ]) {
      assert.equal(await again.read(path), await signed.read(path), path);
    }
  });

  test("a rebuild replaces a previous build; a folder with other files is refused", async () => {
    await build(root, { out: signed.out });
    const other = await mkdtemp(join(tmpdir(), "fedeval-lb-other-"));
    await writeFile(join(other, "notes.txt"), "mine");
    await assert.rejects(
      leaderboardBuildCommand({ root, out: other, allowUnsigned: false, cwd: process.cwd() }, bufferIO()),
      (e) => e instanceof UserError && /not empty and holds no previous leaderboard/.test(e.message),
    );
    assert.equal(await readFile(join(other, "notes.txt"), "utf8"), "mine");
  });
});

describe("page weight", () => {
  test("the site × model table shows at most 12 sites; the rest are in heatmap.csv", async () => {
    const root = await makeBoardTree((files) => {
      for (let i = 0; i < 20; i++) {
        const id = `extra-site-${i}`;
        const site = { ...testSite("north-general"), id, name: `Extra ${i}` };
        site.keys = [
          {
            id: "demo-1",
            algorithm: "ed25519",
            public_key: siteKey(id).publicKey,
            created_at: "2026-11-01T09:00:00Z",
          },
        ];
        files.set(`sites/${id}.yaml`, toYaml(site));
        const dataset = { ...testDataset("north-general"), id: `${id}-2026q4`, site: id };
        files.set(`benchmarks/${BENCHMARK}/datasets/${dataset.id}.yaml`, toYaml(dataset));
        for (const m of MODELS)
          files.set(resultPath(dataset.id, m), resultFile(result({ model: m, dataset, shift: 3 + (i % 5) })));
      }
    });
    const { json, read, io } = await build(root);
    assert.equal(json.benchmarks[0]?.sites.length, 23, io.err.join(""));
    assert.equal(json.benchmarks[0]?.results.included, 69);
    const page = await read(`benchmarks/${BENCHMARK}/index.html`);
    const heat = /<table class="heat">[\s\S]*?<\/thead>/.exec(page)?.[0] ?? "";
    assert.equal((heat.match(/<th scope="col">/g) ?? []).length, 1 + 12);
    assert.match(page, /the 12 sites with the most cases of 23/);
    assert.equal((await read(`benchmarks/${BENCHMARK}/heatmap.csv`)).trim().split("\r\n").length, 1 + 23);
  });
});
