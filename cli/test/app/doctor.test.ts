import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Docker from "dockerode";
import { checkSiteMachine } from "../../src/app/doctor.ts";

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
