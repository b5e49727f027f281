import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import Docker from "dockerode";
import { workspace } from "../../src/base/workspace.ts";
import { doctorCommand } from "../../src/commands/doctor.ts";
import { bufferIO } from "../../src/commands/io.ts";
import type { Exec } from "../../src/site/hardware.ts";
import { dockerForTests } from "../helpers/docker.ts";

const { docker, skip } = await dockerForTests();
const TOKEN = "ghp_doctorTestToken0123456789";

/** Real programs, found on the given PATH only. */
const execOn =
  (path: string): Exec =>
  async (file, args) =>
    (await promisify(execFile)(file, args, { env: { PATH: path }, encoding: "utf8" })).stdout;

async function setup(key: "valid" | "loose" | "garbage" | "none") {
  const home = await mkdtemp(join(tmpdir(), "fedeval-home-"));
  const ghConfigDir = await mkdtemp(join(tmpdir(), "fedeval-gh-"));
  const keys = workspace({ FEDEVAL_HOME: home }).site("north-general").keys;
  if (key !== "none") {
    await mkdir(keys, { recursive: true });
    const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    const file = join(keys, "2026-11.pem");
    await writeFile(file, key === "garbage" ? "not a key\n" : pem);
    await chmod(file, key === "loose" ? 0o644 : 0o600);
  }
  return { home, ghConfigDir, keyFile: join(keys, "2026-11.pem") };
}

async function doctor(opts: Partial<Parameters<typeof doctorCommand>[0]> & { home: string }) {
  const io = bufferIO();
  const code = await doctorCommand(
    {
      site: "north-general",
      cwd: opts.home,
      env: { FEDEVAL_HOME: opts.home },
      exec: execOn(process.env.PATH ?? ""),
      ...opts,
    },
    io,
  );
  return { code, out: io.out.join("") };
}

const line = (out: string, check: string) =>
  out.split("\n").find((l) => new RegExp(`^\\w+ +${check} `).test(l)) ?? "";

describe("doctor with a Docker Engine", { skip }, () => {
  test("a ready machine: every required check is ok, and no secret is printed", async () => {
    const s = await setup("valid");
    const { code, out } = await doctor({ ...s, docker, env: { FEDEVAL_HOME: s.home, GITHUB_TOKEN: TOKEN } });
    assert.equal(code, 0, out);
    const version = await docker.version();
    assert.equal(
      line(out, "docker"),
      `ok    docker       Docker ${version.Version} (rootful, cgroups v${(await docker.info()).CgroupVersion}), API ${version.ApiVersion}`,
    );
    assert.match(line(out, "git"), /^ok +git +git version \d/);
    assert.equal(line(out, "forge token"), "ok    forge token  GITHUB_TOKEN is set");
    assert.match(
      line(out, "site key"),
      /^ok +site key +1 ed25519 key of site north-general in .*keys \(mode 0600\)$/,
    );
    assert.match(line(out, "gpu"), /^(ok|warn) +gpu +/);
    assert.match(line(out, "disk"), /^(ok|warn) +disk +[\d.]+ \w+ free for /);
    assert.match(out, /this machine can run fedeval\n$/);
    assert.doesNotMatch(out, new RegExp(TOKEN));
  });
});

test("without a Docker Engine: docker fails with what to do, GPUs are not checked", async () => {
  const s = await setup("valid");
  const { code, out } = await doctor({
    ...s,
    docker: new Docker({ socketPath: join(s.home, "no-docker.sock") }),
  });
  assert.equal(code, 1);
  assert.match(line(out, "docker"), /^fail +docker +cannot reach the Docker Engine/);
  assert.match(out, /fix: start Docker \(dockerd\)/);
  assert.match(line(out, "gpu"), /^warn +gpu +not checked: the Docker Engine is unreachable/);
  assert.match(out, /1 required check failed\n$/);
});

test("the site key: missing, readable by others, or not an ed25519 key fails with the fix", async () => {
  const noDocker = (home: string) => new Docker({ socketPath: join(home, "no-docker.sock") });
  const none = await setup("none");
  assert.match(
    line((await doctor({ ...none, docker: noDocker(none.home) })).out, "site key"),
    /^fail +site key +no signing key of site north-general in /,
  );
  const loose = await setup("loose");
  const looseOut = (await doctor({ ...loose, docker: noDocker(loose.home) })).out;
  assert.match(
    line(looseOut, "site key"),
    /^fail +site key +.*2026-11\.pem can be read by others \(mode 0644\)/,
  );
  assert.match(looseOut, new RegExp(`fix: chmod 600 ${loose.keyFile}`));
  const garbage = await setup("garbage");
  assert.match(
    line((await doctor({ ...garbage, docker: noDocker(garbage.home) })).out, "site key"),
    /is not an ed25519 private key/,
  );
  const noSite = await doctor({ ...none, site: undefined, docker: noDocker(none.home) });
  assert.match(line(noSite.out, "site key"), /^warn +site key +not checked: give --site/);
});

test("forge token from the gh config, or a warning; git missing fails", async () => {
  const s = await setup("valid");
  const noDocker = new Docker({ socketPath: join(s.home, "no-docker.sock") });
  assert.match(
    line((await doctor({ ...s, docker: noDocker })).out, "forge token"),
    /^warn +forge token +no GitHub token/,
  );
  await writeFile(
    join(s.ghConfigDir, "hosts.yml"),
    "github.com:\n    user: north-it\n    git_protocol: https\n",
  );
  assert.match(
    line((await doctor({ ...s, docker: noDocker })).out, "forge token"),
    /^ok +forge token +gh is logged in to github\.com/,
  );
  const noGit = await doctor({ ...s, docker: noDocker, exec: execOn(join(s.home, "empty-bin")) });
  assert.match(line(noGit.out, "git"), /^fail +git +git not found/);
  assert.match(noGit.out, /fix: install git/);
});
