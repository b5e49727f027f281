/**
 * A site's signing keys. The private half stays in the site workspace
 * (`$FEDEVAL_HOME/sites/<site>/keys/<key-id>.pem`, PKCS#8 PEM, mode 0600); the public half is
 * listed in `sites/<site>.yaml`, where the committee reviews it like any other change.
 *
 * Rotation: a site lists several keys. Signing uses the newest key (by `created_at`) that is
 * listed, not revoked, and present here; a revoked key stays listed with `revoked_at`, so results
 * signed before that still verify (signature.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../base/errors.ts";
import { isoSeconds } from "../base/run-id.ts";
import { toYaml } from "../formats/yaml-write.ts";
import type { Site, SiteKey } from "../governance/types.ts";

/** The key id pattern of `schemas/site.schema.json`. */
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const keyFile = (keysDir: string, id: string) => join(keysDir, `${id}.pem`);

const spki = (key: KeyObject) =>
  createPublicKey(key).export({ format: "der", type: "spki" }).toString("base64");

/**
 * Makes an ed25519 key pair, writes the private key (created with mode 0600, never over an
 * existing file) and returns the public entry for `sites/<site>.yaml`. Without `id`, the key is
 * named after the UTC date (`2026-11-02`, then `2026-11-02-2`, ...).
 */
export async function generateSiteKey(
  keysDir: string,
  opts: { id?: string; now: Date },
): Promise<{ key: SiteKey; file: string }> {
  if (opts.id !== undefined && !KEY_ID.test(opts.id)) {
    throw new UserError(
      `--id "${opts.id}" is not a key id: letters, digits, ".", "_" and "-", at most 64 characters`,
    );
  }
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" });
  const day = opts.now.toISOString().slice(0, 10);
  for (let n = 1; ; n++) {
    const id = opts.id ?? (n === 1 ? day : `${day}-${n}`);
    const file = keyFile(keysDir, id);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (opts.id !== undefined)
        throw new UserError(`${file} already exists; keys are never overwritten: choose another --id`);
      continue;
    }
    try {
      await handle.writeFile(pem);
      await handle.sync();
    } catch (e) {
      // a full disk: no empty or partial key file is left to take the id
      await handle.close();
      await rm(file, { force: true });
      (e as NodeJS.ErrnoException).path ??= file;
      throw e;
    }
    await handle.close();
    return {
      key: { id, algorithm: "ed25519", public_key: spki(privateKey), created_at: isoSeconds(opts.now) },
      file,
    };
  }
}

/** The key as an item of the `keys:` list of `sites/<site>.yaml`, indented to paste there. */
export function siteKeyYaml(key: SiteKey): string {
  return toYaml([key])
    .split("\n")
    .map((line) => (line ? `  ${line}` : line))
    .join("\n");
}

/**
 * Reads a private key, refusing a file that other users could read: a signing key that leaked
 * lets anyone publish results in the site's name.
 */
export async function readPrivateKey(file: string): Promise<KeyObject> {
  const st = await stat(file);
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
    throw new UserError(
      `${file} is readable by other users (mode ${mode}); a signing key must be private. Fix it with: chmod 600 ${file}`,
    );
  }
  try {
    return createPrivateKey(await readFile(file));
  } catch {
    throw new UserError(`${file} is not a PEM private key (was it changed by hand?)`);
  }
}

export interface SigningKey {
  key: SiteKey;
  privateKey: KeyObject;
  file: string;
}

/**
 * The key to sign with at `now`: the newest key listed in `sites/<site>.yaml` that is not
 * revoked, already created, and whose private key is in `keysDir` and matches the listed public key.
 */
export function signingKeyFor(site: Site, keysDir: string, now: Date): Promise<SigningKey> {
  return usableSigningKey(site.keys ?? [], keysDir, now, {
    owner: `site ${site.id}`,
    listedIn: `sites/${site.id}.yaml`,
    keygen: `fedeval site keygen --site ${site.id}`,
  });
}

/** Whose keys these are, for messages. */
export interface KeyHolder {
  /** "site st-olaf", "committee member alice". */
  owner: string;
  /** The governance file that lists the public keys. */
  listedIn: string;
  /** The command that makes a new key. */
  keygen: string;
}

/** The newest of `listed` that is valid at `now` and whose private key is in `keysDir` and matches. */
export async function usableSigningKey(
  listed: readonly SiteKey[],
  keysDir: string,
  now: Date,
  holder: KeyHolder,
): Promise<SigningKey> {
  const why: string[] = [];
  const keys = [...listed].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  for (const key of keys) {
    if (key.revoked_at && Date.parse(key.revoked_at) <= now.getTime()) {
      why.push(`${key.id}: revoked at ${key.revoked_at}`);
      continue;
    }
    if (Date.parse(key.created_at) > now.getTime()) {
      why.push(`${key.id}: created_at ${key.created_at} is in the future`);
      continue;
    }
    const file = keyFile(keysDir, key.id);
    const present = await stat(file).then(
      () => true,
      () => false,
    );
    if (!present) {
      why.push(`${key.id}: no private key at ${file}`);
      continue;
    }
    const privateKey = await readPrivateKey(file);
    if (spki(privateKey) !== key.public_key) {
      throw new UserError(
        `${file} does not match the public key of key "${key.id}" in ${holder.listedIn}; the key file or ${holder.listedIn} was replaced`,
      );
    }
    return { key, privateKey, file };
  }
  const listedWhy = why.length ? ` (${why.join("; ")})` : ` (${holder.listedIn} lists no keys)`;
  throw new UserError(
    `no usable signing key for ${holder.owner}${listedWhy}. Run \`${holder.keygen}\`, add the printed entry to ${holder.listedIn} and merge it`,
  );
}
