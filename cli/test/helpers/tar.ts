/**
 * Writes tar archives byte by byte (POSIX ustar), so tests can build the hostile ones that tar
 * itself refuses to write: absolute names, `..`, links leaving the folder, devices.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

export interface TarEntryspec {
  name: string;
  /** `0` file (default), `1` hard link, `2` symlink, `3` char device, `5` folder, `6` FIFO. */
  type?: "0" | "1" | "2" | "3" | "5" | "6";
  content?: string | Buffer;
  link?: string;
  mode?: number;
  /** A size field other than the content's length (a lying header). */
  size?: number;
}

function field(text: string, length: number): Buffer {
  const b = Buffer.alloc(length);
  b.write(text, "utf8");
  return b;
}

function octalField(n: number, length: number): Buffer {
  return field(`${n.toString(8).padStart(length - 1, "0")}\0`, length);
}

export function tarHeader(e: TarEntryspec): Buffer {
  const content = Buffer.from(e.content ?? "");
  const type = e.type ?? "0";
  const h = Buffer.concat([
    field(e.name, 100),
    octalField(e.mode ?? (type === "5" ? 0o755 : 0o644), 8),
    octalField(0, 8),
    octalField(0, 8),
    octalField(e.size ?? content.length, 12),
    octalField(0, 12),
    Buffer.from("        "),
    field(type, 1),
    field(e.link ?? "", 100),
    field("ustar", 6),
    field("00", 2),
    Buffer.alloc(512 - 265),
  ]);
  let sum = 0;
  for (const byte of h) sum += byte;
  field(`${sum.toString(8).padStart(6, "0")}\0 `, 8).copy(h, 148);
  return h;
}

/** A tar archive of `entries` (with its end marker unless `end` is false). */
export function tarArchive(entries: TarEntryspec[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e));
    const content = Buffer.from(e.content ?? "");
    parts.push(content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const tarGz = (entries: TarEntryspec[]) => gzipSync(tarArchive(entries));

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
