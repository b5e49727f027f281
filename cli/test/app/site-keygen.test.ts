import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { test } from "node:test";
import { generateSiteSigningKey } from "../../src/app/site-keygen.ts";
import { UsageError } from "../../src/base/errors.ts";
import { workspace } from "../../src/base/workspace.ts";
import { testEnv } from "../helpers/git.ts";

test("generateSiteSigningKey writes the private key (0600) and reports the public entry", async () => {
  const env = await testEnv();
  const now = () => new Date("2026-11-02T08:00:00Z");
  const key = await generateSiteSigningKey({ site: "north-general", env, cwd: "/", now });
  assert.equal(key.id, "2026-11-02");
  assert.equal(key.createdAt, "2026-11-02T08:00:00Z");
  assert.equal(key.file, `${workspace(env).site("north-general").keys}/2026-11-02.pem`);
  assert.equal((await stat(key.file)).mode & 0o777, 0o600);
  assert.match(key.entry, /^ {2}- id: 2026-11-02\n {4}algorithm: ed25519\n {4}public_key: \S+\n/);
  const second = await generateSiteSigningKey({ site: "north-general", env, cwd: "/", now });
  assert.equal(second.id, "2026-11-02-2");
  await assert.rejects(
    generateSiteSigningKey({ site: "North", env, cwd: "/", now }),
    (e: Error) => e instanceof UsageError,
  );
});
