/**
 * Access to a private model (EncryptedDockerArchive), as MedPerf grants it (entities/
 * encrypted_key.py, docs/concepts/encrypted_models.md): the model owner encrypts the archive's
 * decryption key to each site that may run the model, that site only, and deletes those grants
 * once the benchmark is done. MedPerf encrypts to the data owner's certificate (RSA-OAEP) and
 * keeps the grants on its server; fedeval has no server, so a grant is an entry of the model
 * association's `key_grants` (public, reviewed like any change), sealed to a site key listed in
 * `sites/<site>.yaml`.
 *
 * Sealing: the site's ed25519 key converted to X25519 (the birational map RFC 7748 section 4.1
 * gives; libsodium's crypto_sign_ed25519_pk_to_curve25519 and age's ssh-ed25519 recipients do
 * the same), an ephemeral X25519 key, HKDF-SHA256 of the shared secret, AES-256-GCM over the key
 * with the benchmark, model and site as associated data (a grant copied to another model or site
 * does not open). `sealed_key` is base64 of ephemeral public key (32) ‖ nonce (12) ‖ ciphertext ‖
 * tag (16). The key itself never appears in the repository, a log or a result; opened, it lives
 * in memory only, long enough to be piped to gpg.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { UserError } from "../base/errors.ts";
import type { KeyGrant, Site } from "../governance/types.ts";

const P = 2n ** 255n - 19n;
const INFO = Buffer.from("fedeval key grant v1");

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = ((base % P) + P) % P;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

const littleEndian = (bytes: Buffer): bigint =>
  BigInt(`0x${Buffer.from(bytes).reverse().toString("hex") || "0"}`);
const toLittleEndian = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse();

/** The X25519 public key of an ed25519 public key: u = (1 + y) / (1 - y) mod p. */
function x25519Public(ed25519: KeyObject): KeyObject {
  const raw = Buffer.from(ed25519.export({ format: "jwk" }).x as string, "base64url");
  const top = raw[31] as number;
  const y = littleEndian(Buffer.concat([raw.subarray(0, 31), Buffer.from([top & 0x7f])]));
  const u = ((1n + y) * modPow(1n - y, P - 2n)) % P;
  return createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: toLittleEndian(u).toString("base64url") },
    format: "jwk",
  });
}

/** The X25519 private key of an ed25519 private key: the first half of SHA-512 of its seed. */
function x25519Private(ed25519: KeyObject): KeyObject {
  const seed = Buffer.from(ed25519.export({ format: "jwk" }).d as string, "base64url");
  const scalar = createHash("sha512").update(seed).digest().subarray(0, 32);
  return createPrivateKey({
    key: { kty: "OKP", crv: "X25519", d: scalar.toString("base64url"), x: "" },
    format: "jwk",
  });
}

/** Binds a grant to what it is for. */
export const grantContext = (benchmark: string, model: string, site: string) =>
  Buffer.from(`${benchmark}/${model}/${site}`);

function keyOf(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", shared, Buffer.concat([ephemeral, recipient]), INFO, 32));
}

const rawX = (key: KeyObject) => Buffer.from(key.export({ format: "jwk" }).x as string, "base64url");

/** Seals `secret` to every key of `site` that is not revoked: one grant per key. */
export function sealForSite(secret: Buffer, site: Site, context: Buffer): KeyGrant[] {
  const keys = (site.keys ?? []).filter((k) => !k.revoked_at);
  if (!keys.length)
    throw new UserError(`sites/${site.id}.yaml lists no key that is not revoked: nothing to seal to`);
  return keys.map((k) => {
    const recipient = x25519Public(
      createPublicKey({ key: Buffer.from(k.public_key, "base64"), format: "der", type: "spki" }),
    );
    const ephemeral = generateKeyPairSync("x25519");
    const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
    const ephemeralRaw = rawX(ephemeral.publicKey);
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", keyOf(shared, ephemeralRaw, rawX(recipient)), nonce);
    cipher.setAAD(context);
    const sealed = Buffer.concat([
      ephemeralRaw,
      nonce,
      cipher.update(secret),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return { site: site.id, key: k.id, sealed_key: sealed.toString("base64") };
  });
}

/** Opens a grant with the site's private ed25519 key; undefined when it does not open. */
export function openGrant(grant: KeyGrant, privateKey: KeyObject, context: Buffer): Buffer | undefined {
  const sealed = Buffer.from(grant.sealed_key, "base64");
  if (sealed.length < 32 + 12 + 16) return undefined;
  const own = x25519Private(privateKey);
  const ephemeralRaw = sealed.subarray(0, 32);
  const ephemeral = createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: ephemeralRaw.toString("base64url") },
    format: "jwk",
  });
  try {
    const shared = diffieHellman({ privateKey: own, publicKey: ephemeral });
    const decipher = createDecipheriv(
      "aes-256-gcm",
      keyOf(shared, ephemeralRaw, rawX(createPublicKey(own))),
      sealed.subarray(32, 44),
    );
    decipher.setAAD(context);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(44, sealed.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
}
