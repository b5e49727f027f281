/**
 * A generator of hostile governance files: each case takes a valid file of the test tree and
 * breaks it the way an attacker or bad luck would (line ends, control characters, truncation,
 * duplicate, huge or structured keys, deep nesting, invalid UTF-8, file names that forge lines).
 * Cases are drawn from a seeded generator, so a failure names the seed that reproduces it.
 */
import { mulberry32 } from "../../src/stats/random.ts";

export interface HostileCase {
  /** What was done, for failure messages. */
  kind: string;
  /** Path relative to the governance root (a new file beside the valid ones). */
  path: string;
  bytes: Buffer;
  /** The file itself is certainly invalid: validate must name it. */
  mustReport: boolean;
}

/** Characters that forge or hide lines on a terminal, in an editor or in a log. */
const FORGING = ["\n", "\r", "\x1b[2K\r", "\u2028", "\u2029", "\u202e", "\u0085", "\x00", "\x7f", "\x9b"];
const FORGED_LINE = "sites/ok.yaml:1:1: error FE000 all good [none]";

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

/** Mutations of a valid file's text: each returns the new bytes and whether they are certainly invalid. */
const MUTATIONS: Record<string, (text: string, rng: Rng) => { bytes: Buffer; invalid: boolean }> = {
  "cr-only line ends": (t) => ({ bytes: Buffer.from(t.replace(/\r?\n/g, "\r")), invalid: false }),
  "crlf line ends": (t) => ({ bytes: Buffer.from(t.replace(/\r?\n/g, "\r\n")), invalid: false }),
  "a comment, then cr-only line ends": (t) => ({
    bytes: Buffer.from(`# hostile\r${t.replace(/\r?\n/g, "\r")}`),
    invalid: false,
  }),
  "line separator as line end": (t) => ({ bytes: Buffer.from(t.replace(/\n/g, "\u2028")), invalid: true }),
  "a control character in a value": (t, rng) => {
    const lines = t.split("\n");
    const i = lines.findIndex((l) => /^[a-z_]+: \S/.test(l));
    lines[i] = `${lines[i]}${pick(rng, FORGING)}${FORGED_LINE}`;
    return { bytes: Buffer.from(lines.join("\n")), invalid: true };
  },
  "a forged line in a quoted key": (t, rng) => {
    const esc = pick(rng, ["\\n", "\\r", "\\e[31m", "\\L", "\\u202e", "\\x9b"]);
    return { bytes: Buffer.from(`${t}"x${esc}${FORGED_LINE}": 1\n`), invalid: true };
  },
  "truncated to 0 bytes": () => ({ bytes: Buffer.alloc(0), invalid: true }),
  "only comments": () => ({ bytes: Buffer.from("# nothing\n\n   # here\n"), invalid: true }),
  "truncated at a random byte": (t, rng) => ({
    bytes: Buffer.from(t).subarray(0, 1 + Math.floor(rng() * (Buffer.byteLength(t) - 1))),
    invalid: false,
  }),
  "a duplicate key far down": (t) => {
    const first = t.split("\n").find((l) => /^[a-z_]+:/.test(l)) as string;
    return { bytes: Buffer.from(`${t}${first}\n`), invalid: true };
  },
  "a block mapping with too many keys": (t, rng) => {
    const n = 2001 + Math.floor(rng() * 40_000);
    const keys = Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join("\n");
    return { bytes: Buffer.from(`${t}extra:\n${keys}\n`), invalid: true };
  },
  "a flow mapping with too many keys": (t, rng) => {
    const n = 2001 + Math.floor(rng() * 40_000);
    const keys = Array.from({ length: n }, (_, i) => `k${i}: ${i}`).join(", ");
    return { bytes: Buffer.from(`${t}extra: {${keys}}\n`), invalid: true };
  },
  "a mapping as a key": (t) => ({ bytes: Buffer.from(`${t}? {a: 1}\n: 2\n`), invalid: true }),
  "deep nesting": (t, rng) => {
    const depth = 200 + Math.floor(rng() * 2000);
    return { bytes: Buffer.from(`${t}deep: ${"[".repeat(depth)}${"]".repeat(depth)}\n`), invalid: true };
  },
  "invalid UTF-8": (t, rng) => {
    const b = Buffer.from(t);
    const at = Math.floor(rng() * b.length);
    return {
      bytes: Buffer.concat([b.subarray(0, at), Buffer.from([0xc3, 0x28]), b.subarray(at)]),
      invalid: true,
    };
  },
  "a billion laughs": (t) => ({
    bytes: Buffer.from(
      `${t}a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
    ),
    invalid: true,
  }),
  "two documents": (t) => ({ bytes: Buffer.from(`${t}---\n${t}`), invalid: true }),
};

/**
 * `count` hostile files made from `valid` (path → text of a valid tree), each at a new path of the
 * same kind (the id in the name changed), or under a file name that forges a line.
 */
export function hostileCases(valid: Map<string, string>, seed: number, count: number): HostileCase[] {
  const rng = mulberry32(seed);
  const bases = [...valid.keys()].filter((p) => p.endsWith(".yaml") && !p.includes("/demo/"));
  const kinds = Object.keys(MUTATIONS);
  const cases: HostileCase[] = [];
  for (let i = 0; i < count; i++) {
    const base = pick(rng, bases);
    const renamed = base.replace(/([^/]+)\.yaml$/, `hostile-${i}-$1.yaml`);
    if (rng() < 0.15) {
      // a file name that forges a line: reported as an unknown file, printed escaped
      const name = base.replace(
        /[^/]+\.yaml$/,
        `x${pick(
          rng,
          FORGING.filter((c) => c !== "\x00"),
        )}${i}.yaml`,
      );
      cases.push({
        kind: "a file name with a control character",
        path: name,
        bytes: Buffer.from("x: 1\n"),
        mustReport: true,
      });
      continue;
    }
    const kind = pick(rng, kinds);
    const { bytes, invalid } = (MUTATIONS[kind] as (typeof MUTATIONS)[string])(
      valid.get(base) as string,
      rng,
    );
    cases.push({ kind, path: renamed, bytes, mustReport: invalid });
  }
  return cases;
}

/** A line of `fedeval validate`'s text output: one diagnostic, nothing else. */
export const DIAGNOSTIC_LINE = /^[^\s:]+:\d+:\d+: (error|warning) FE\d{3} [^\n]* \[[a-z0-9-]+\]$/;
