import { randomBytes } from "node:crypto";

/**
 * A run's id: its UTC start time and a random suffix, `20261120-010000-3fa9c1`. It sorts by time,
 * names the run's folder under `runs/`, and ends outbox entry ids.
 */
export function newRunId(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, "")
    .replace(/[-:]/g, "")
    .replace("T", "-");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

/** An RFC 3339 UTC time to the second, as governance files record times. */
export function isoSeconds(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}
