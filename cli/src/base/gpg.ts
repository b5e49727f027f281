/**
 * Decrypts a file that `gpg --symmetric --passphrase-file <key>` encrypted, as MedPerf's
 * encryption.py `SymmetricEncryption.decrypt_file` does, with one difference: the key is piped
 * to gpg (`--passphrase-fd 0`, which gpg reads like a passphrase file) and never written to disk.
 * gpg runs with a fresh, private GNUPGHOME, so the user's keyrings are neither read nor changed.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExternalError, UserError } from "./errors.ts";

/** Decrypts `input` into `output` (which must not exist) with `key`; `what` names it in messages. */
export async function decryptSymmetric(
  input: string,
  output: string,
  key: Buffer,
  what: string,
): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), "fedeval-gpg-"));
  try {
    const args = [
      "--batch",
      "--quiet",
      "--no-tty",
      "--decrypt",
      "--passphrase-fd",
      "0",
      "--output",
      output,
      input,
    ];
    const child = spawn("gpg", args, {
      env: { ...process.env, GNUPGHOME: home },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(key);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") {
        throw new ExternalError(
          `${what}: gpg is not installed`,
          "install GnuPG (Debian: apt-get install gpg)",
        );
      }
      throw e;
    });
    if (code !== 0) {
      await rm(output, { force: true });
      const last =
        stderr
          .trim()
          .split("\n")
          .at(-1)
          ?.replace(/^gpg: /, "") ?? `exit code ${code}`;
      throw new UserError(`${what}: gpg could not decrypt it (${last})`);
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
