import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Docker from "dockerode";
import { checkSiteMachine } from "../../src/app/doctor.ts";
import { siteKey } from "../helpers/fixtures.ts";
import { makeTree } from "../helpers/governance-tree.ts";
import { installSiteKey, NOW, SITE } from "../helpers/site-workspace.ts";

test("checkSiteMachine reports each check, and counts the required ones that fail", async () => {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const report = await checkSiteMachine({
    site: "north-general",
    cwd: home,
    env: { FEDEVAL_HOME: home },
    docker: new Docker({ socketPath: join(home, "no-docker.sock") }),
    exec: async (file) => {
      throw new Error(`${file}: not found`);
    },
    ghConfigDir: join(home, "gh"),
  });
  const docker = report.checks.find((c) => c.check === "docker");
  assert.equal(docker?.status, "fail");
  assert.match(docker?.fix ?? "", /start Docker/);
  assert.equal(report.failed, report.checks.filter((c) => c.status === "fail").length);
  assert.ok(report.failed >= 1);
});

test("with --root, the site key must be the one sites/<site>.yaml lists", async () => {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const env = { FEDEVAL_HOME: home };
  const keyCheck = async (root: string, now = NOW) =>
    (
      await checkSiteMachine({
        site: SITE,
        root,
        now: () => now,
        cwd: home,
        env,
        docker: new Docker({ socketPath: join(home, "no-docker.sock") }),
        exec: async (file) => {
          throw new Error(`${file}: not found`);
        },
        ghConfigDir: join(home, "gh"),
      })
    ).checks.find((c) => c.check === "site key");
  await installSiteKey(env);
  const tree = await makeTree();

  const listed = await keyCheck(tree);
  assert.equal(listed?.status, "ok");
  assert.match(
    listed?.detail ?? "",
    /^key demo-1 of site north-general .*listed in sites\/north-general\.yaml and valid now$/,
  );

  // a key that sites/<site>.yaml does not list: an unregistered key signs nothing
  const other = await makeTree((files) => {
    const text = files.get(`sites/${SITE}.yaml`) as string;
    files.set(`sites/${SITE}.yaml`, text.replace(siteKey(SITE).publicKey, siteKey("east-valley").publicKey));
  });
  const mismatch = await keyCheck(other);
  assert.equal(mismatch?.status, "fail");
  assert.match(
    mismatch?.detail ?? "",
    /does not match the public key of key "demo-1" in sites\/north-general\.yaml/,
  );

  // before the key was created
  const early = await keyCheck(tree, new Date("2026-10-01T00:00:00Z"));
  assert.equal(early?.status, "fail");
  assert.match(
    early?.detail ?? "",
    /no usable signing key for site north-general \(demo-1: created_at .* is in the future\)/,
  );

  const unregistered = await keyCheck(await makeTree((files) => files.delete(`sites/${SITE}.yaml`)));
  assert.equal(unregistered?.status, "fail");
  assert.equal(unregistered?.detail, "the governance repository has no sites/north-general.yaml");
});
