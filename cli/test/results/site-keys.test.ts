import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { chmod, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { UserError } from "../../src/base/errors.ts";
import { bufferIO } from "../../src/commands/io.ts";
import { siteKeygenCommand } from "../../src/commands/site-keygen.ts";
import { checkValue } from "../../src/formats/schema-registry.ts";
import type { Result, Site } from "../../src/governance/types.ts";
import { checkResultSignature, signResult } from "../../src/results/signature.ts";
import { generateSiteKey, readPrivateKey, signingKeyFor, siteKeyYaml } from "../../src/results/site-keys.ts";
import { testSite } from "../helpers/fixtures.ts";
import { testDataset, testResult } from "../helpers/governance-tree.ts";

const tmp = () => mkdtemp(join(tmpdir(), "fedeval-keys-"));
const NOW = new Date("2026-11-21T10:00:00.123Z");

describe("site keys", () => {
  it("keygen writes a private key with mode 0600 and an entry that sites/<site>.yaml accepts", async () => {
    const dir = await tmp();
    const { key, file } = await generateSiteKey(join(dir, "keys"), { now: NOW });
    assert.equal(key.id, "2026-11-21");
    assert.equal(key.created_at, "2026-11-21T10:00:00Z");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "keys"))).mode & 0o777, 0o700);
    assert.match(await readFile(file, "utf8"), /^-----BEGIN PRIVATE KEY-----\n/);
    const privateKey = await readPrivateKey(file);
    assert.equal(
      createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64"),
      key.public_key,
    );
    const site: Site = { ...testSite("north-general"), keys: [key] };
    assert.deepEqual(checkValue("site", site), []);
    const pasted = parse(`keys:\n${siteKeyYaml(key)}`) as { keys: unknown[] };
    assert.deepEqual(pasted.keys, [key]);
  });

  it("never overwrites a key: a second default id gets a suffix, an explicit id that exists is refused", async () => {
    const keys = join(await tmp(), "keys");
    const a = await generateSiteKey(keys, { now: NOW });
    const b = await generateSiteKey(keys, { now: NOW });
    assert.equal(b.key.id, "2026-11-21-2");
    assert.notEqual(a.key.public_key, b.key.public_key);
    const before = await readFile(a.file, "utf8");
    await assert.rejects(
      generateSiteKey(keys, { id: "2026-11-21", now: NOW }),
      (e: Error) => e instanceof UserError && /already exists; keys are never overwritten/.test(e.message),
    );
    assert.equal(await readFile(a.file, "utf8"), before);
    await assert.rejects(generateSiteKey(keys, { id: "../evil", now: NOW }), /is not a key id/);
  });

  it("refuses to use a key file other users can read, naming the chmod that fixes it", async () => {
    const { file } = await generateSiteKey(join(await tmp(), "keys"), { now: NOW });
    await chmod(file, 0o644);
    await assert.rejects(
      readPrivateKey(file),
      (e: Error) =>
        e instanceof UserError && e.message.includes("mode 0644") && e.message.includes(`chmod 600 ${file}`),
    );
    await chmod(file, 0o600);
    assert.equal((await readPrivateKey(file)).asymmetricKeyType, "ed25519");
  });

  it("rotation: signs with the newest unrevoked key it holds; results signed before a revocation still verify", async () => {
    const keys = join(await tmp(), "keys");
    const old = await generateSiteKey(keys, { id: "2025-04", now: new Date("2025-04-01T09:00:00Z") });
    const base = testSite("north-general");
    // Before rotation: the only key signs.
    const before = await signingKeyFor({ ...base, keys: [old.key] }, keys, new Date("2026-11-10T00:00:00Z"));
    assert.equal(before.key.id, "2025-04");
    const dataset = testDataset("north-general");
    const { signature: _s, ...unsigned } = testResult(dataset, "effusion-net-v2", false);
    const signedBefore = signResult(
      { ...unsigned, approval: { by: "north-it", at: "2026-11-10T00:00:00Z", policy: "manual" } } as Result,
      before.key.id,
      before.privateKey,
    );

    const fresh = await generateSiteKey(keys, { id: "2026-11", now: new Date("2026-11-20T09:00:00Z") });
    const rotated: Site = { ...base, keys: [fresh.key, { ...old.key, revoked_at: "2026-11-20T09:00:00Z" }] };
    const after = await signingKeyFor(rotated, keys, NOW);
    assert.equal(after.key.id, "2026-11");
    assert.deepEqual(checkResultSignature(signedBefore, rotated).ok, true);
    // The revoked key used after its revocation is refused.
    const late = signResult(
      { ...signedBefore, approval: { by: "north-it", at: "2026-11-21T00:00:00Z", policy: "manual" } },
      before.key.id,
      before.privateKey,
    );
    const check = checkResultSignature(late, rotated);
    assert.equal(check.ok, false);
    assert.equal(!check.ok && check.rule, "FE303");
  });

  it("says why no key is usable: revoked, missing here, or a key file that does not match the site file", async () => {
    const keys = join(await tmp(), "keys");
    const a = await generateSiteKey(keys, { id: "a", now: new Date("2026-01-01T00:00:00Z") });
    const site: Site = {
      ...testSite("north-general"),
      keys: [
        { ...a.key, revoked_at: "2026-06-01T00:00:00Z" },
        { id: "b", algorithm: "ed25519", public_key: a.key.public_key, created_at: "2026-07-01T00:00:00Z" },
      ],
    };
    await assert.rejects(
      signingKeyFor(site, keys, NOW),
      (e: Error) =>
        /b: no private key at .*b\.pem; a: revoked at 2026-06-01/.test(e.message) &&
        /fedeval site keygen --site north-general/.test(e.message),
    );
    const other = await generateSiteKey(join(await tmp(), "keys"), { id: "b", now: NOW });
    await writeFile(join(keys, "b.pem"), await readFile(other.file), { mode: 0o600 });
    await assert.rejects(signingKeyFor(site, keys, NOW), /does not match the public key of key "b"/);
  });

  it("fedeval site keygen prints the entry on stdout and the next steps on stderr", async () => {
    const env = { FEDEVAL_HOME: await tmp() };
    const io = bufferIO();
    assert.equal(
      await siteKeygenCommand({ site: "north-general", id: "2026-11", env, cwd: "/", now: NOW }, io),
      0,
    );
    const entry = parse(io.out.join("")) as { id: string; algorithm: string; public_key: string }[];
    assert.equal(entry[0]?.id, "2026-11");
    assert.equal(entry[0]?.algorithm, "ed25519");
    const err = io.err.join("");
    assert.match(err, /sites\/north-general\/keys\/2026-11\.pem \(mode 0600/);
    assert.match(err, /add the entry above to the keys: list of sites\/north-general\.yaml/);
    await assert.rejects(
      siteKeygenCommand({ site: "North", env, cwd: "/", now: NOW }, bufferIO()),
      /not a site id/,
    );
  });
});
