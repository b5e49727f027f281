/**
 * Result signatures: ed25519 over the RFC 8785 (JCS) canonical JSON form of the result without
 * its `signature` field. Anyone can re-verify with the site's public key from `sites/<site>.yaml`.
 */
import { createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import canonicalize from "canonicalize";
import type { Result, Site, SiteKey } from "../governance/types.ts";

/** The exact bytes that are signed (and shown to the data owner before approval). */
export function signingBytes(result: Result): Buffer {
  const { signature: _signature, ...unsigned } = result;
  const text = canonicalize(unsigned);
  if (text === undefined) throw new Error("result cannot be canonicalized");
  return Buffer.from(text, "utf8");
}

export function signResult(result: Result, keyId: string, privateKey: KeyObject): Result {
  const value = sign(null, signingBytes(result), privateKey).toString("base64");
  return { ...result, signature: { key: keyId, algorithm: "ed25519", value } };
}

export type SignatureCheck =
  | { ok: true; key: SiteKey }
  | {
      ok: false;
      rule: "FE301" | "FE302" | "FE303" | "FE304";
      message: string;
      at: "signature" | "approval" | "signature.key" | "signature.value";
    };

const publicKeys = new Map<string, KeyObject>();

/** A site's public key object; cached, since a repository has few keys and many results. */
export function publicKeyFromSpki(base64: string): KeyObject {
  let key = publicKeys.get(base64);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(base64, "base64"), format: "der", type: "spki" });
    publicKeys.set(base64, key);
  }
  return key;
}

/**
 * Verifies a result's signature against the keys of the dataset's site. The signing time is the
 * approval time: a key must have existed then and not yet been revoked, so results signed before
 * a rotation keep verifying.
 */
export function checkResultSignature(result: Result, site: Site): SignatureCheck {
  if (!result.approval) {
    return {
      ok: false,
      rule: "FE301",
      at: "approval",
      message: "result has no approval: only results the data owner approved may be submitted",
    };
  }
  if (!result.signature) {
    return {
      ok: false,
      rule: "FE301",
      at: "signature",
      message: "result is not signed; sign it with `fedeval outbox approve`",
    };
  }
  const key = site.keys?.find((k) => k.id === result.signature?.key);
  if (!key) {
    return {
      ok: false,
      rule: "FE302",
      at: "signature.key",
      message: `key "${result.signature.key}" is not a key of site ${site.id}`,
    };
  }
  const at = Date.parse(result.approval.at);
  if (key.revoked_at && Date.parse(key.revoked_at) <= at) {
    return {
      ok: false,
      rule: "FE303",
      at: "signature.key",
      message: `key "${key.id}" of site ${site.id} was revoked at ${key.revoked_at}, before this result was approved (${result.approval.at})`,
    };
  }
  if (Date.parse(key.created_at) > at) {
    return {
      ok: false,
      rule: "FE303",
      at: "signature.key",
      message: `key "${key.id}" of site ${site.id} was created at ${key.created_at}, after this result was approved (${result.approval.at})`,
    };
  }
  let good = false;
  try {
    good = verify(
      null,
      signingBytes(result),
      publicKeyFromSpki(key.public_key),
      Buffer.from(result.signature.value, "base64"),
    );
  } catch {
    good = false;
  }
  if (!good) {
    return {
      ok: false,
      rule: "FE304",
      at: "signature.value",
      message: `signature does not verify with key "${key.id}" of site ${site.id}: the result was changed after signing, or signed by another key`,
    };
  }
  return { ok: true, key };
}
