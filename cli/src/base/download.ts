/**
 * Fetching a file that its declaration pins by SHA-256 (MedPerf's `additional_files_tarball_url`
 * and `image_hash` of an archive), on the host: an `http(s)://` URL through undici with
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY honoured (EnvHttpProxyAgent, as the GitHub client does), or
 * a `file://` URL. The file is streamed to `dest` while it is hashed and counted; whatever does
 * not match (another hash, too large, an HTTP error, a transfer that broke off) leaves no file at
 * `dest` and throws one line that names the source.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import { fileURLToPath } from "node:url";
import { EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import { formatBytes } from "./bytes.ts";
import { ExternalError, UserError } from "./errors.ts";

export interface VerifiedDownload {
  /** `http://`, `https://` or `file://`. */
  url: string;
  /** Lowercase hex SHA-256 the file must have. */
  sha256: string;
  /** Where the file goes (its folder exists). */
  dest: string;
  /** Refused when larger. */
  maxBytes: number;
  /** How messages name the file, e.g. `additional files of model m (benchmarks/b/models/m.yaml)`. */
  what: string;
  env: NodeJS.ProcessEnv;
}

/** Downloads `url` to `dest` and checks its SHA-256; throws one line and leaves nothing otherwise. */
export async function downloadVerified(req: VerifiedDownload): Promise<void> {
  try {
    const actual = await copyHashing(await open(req), req);
    if (actual !== req.sha256.toLowerCase()) {
      throw new UserError(
        `${req.what}: ${req.url} has SHA-256 ${actual}, not the declared ${req.sha256.toLowerCase()}; nothing was run`,
      );
    }
  } catch (e) {
    await rm(req.dest, { force: true });
    throw e;
  }
}

async function open(req: VerifiedDownload): Promise<Readable> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(req.url)?.[1]?.toLowerCase();
  if (scheme === "file") {
    let path: string;
    try {
      path = fileURLToPath(req.url);
    } catch (e) {
      throw new UserError(`${req.what}: ${req.url} is not a usable file URL (${(e as Error).message})`);
    }
    const stream = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", (e: NodeJS.ErrnoException) =>
        reject(new UserError(`${req.what}: cannot read ${req.url} (${e.code ?? e.message})`)),
      );
    });
    return stream;
  }
  if (scheme !== "http" && scheme !== "https") {
    throw new UserError(`${req.what}: ${req.url} is not an http(s):// or file:// URL`);
  }
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: req.env.http_proxy ?? req.env.HTTP_PROXY ?? "",
    httpsProxy: req.env.https_proxy ?? req.env.HTTPS_PROXY ?? "",
    noProxy: req.env.no_proxy ?? req.env.NO_PROXY ?? "",
  });
  const hint = "check that the URL is reachable from this machine (and HTTPS_PROXY, if it needs one)";
  let response: Awaited<ReturnType<typeof undiciFetch>>;
  try {
    response = await undiciFetch(req.url, { dispatcher });
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new ExternalError(`${req.what}: cannot download ${req.url}: ${cause}`, hint, { cause: e });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new ExternalError(`${req.what}: cannot download ${req.url}: HTTP ${response.status}`, hint);
  }
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > req.maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw new UserError(
      `${req.what}: ${req.url} is ${formatBytes(declared)}, above the ${formatBytes(req.maxBytes)} limit`,
    );
  }
  return Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
}

async function copyHashing(source: Readable, req: VerifiedDownload): Promise<string> {
  const hash = createHash("sha256");
  const out = createWriteStream(req.dest, { flags: "wx", mode: 0o600 });
  let bytes = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > req.maxBytes) {
        throw new UserError(`${req.what}: ${req.url} is larger than the ${formatBytes(req.maxBytes)} limit`);
      }
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
  } catch (e) {
    source.destroy();
    out.destroy();
    if (e instanceof UserError) throw e;
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new ExternalError(
      `${req.what}: the download of ${req.url} broke off after ${formatBytes(bytes)} (${cause})`,
      "run the command again; if it keeps failing, check the server",
      { cause: e },
    );
  }
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(resolve);
  });
  return hash.digest("hex");
}
