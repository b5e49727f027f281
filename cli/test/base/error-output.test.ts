import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorOutput } from "../../src/base/error-output.ts";
import { ExternalError, UsageError, UserError } from "../../src/base/errors.ts";
import { FEDEVAL_VERSION } from "../../src/base/version.ts";

describe("errorOutput", () => {
  it("a UserError is its message, with its own exit code (1, or 2 for usage)", () => {
    assert.deepEqual(errorOutput(new UserError("no site north")), {
      exitCode: 1,
      message: "no site north",
      internal: false,
    });
    assert.deepEqual(errorOutput(new UserError("stale", 3)), {
      exitCode: 3,
      message: "stale",
      internal: false,
    });
    assert.equal(errorOutput(new UsageError("--root is missing")).exitCode, 2);
  });

  it("an ExternalError exits 2 with what to do, when it says", () => {
    assert.deepEqual(errorOutput(new ExternalError("docker is not running", "start Docker Desktop")), {
      exitCode: 2,
      message: "docker is not running",
      hint: "start Docker Desktop",
      internal: false,
    });
    assert.deepEqual(errorOutput(new ExternalError("git failed")), {
      exitCode: 2,
      message: "git failed",
      internal: false,
    });
  });

  it("anything else is a bug: exit 70, the version and the stack to report", () => {
    const bug = new TypeError("x is undefined");
    const out = errorOutput(bug);
    assert.equal(out.exitCode, 70);
    assert.equal(out.internal, true);
    assert.equal(out.hint, undefined);
    assert.equal(
      out.message,
      `internal error (a bug in fedeval ${FEDEVAL_VERSION}; please report it with what follows)\n${bug.stack}`,
    );
    assert.match(out.message, /\n\s+at /);
  });

  it("a thrown value that is not an Error is reported as it prints", () => {
    assert.match(errorOutput("boom").message, /^internal error \(a bug in fedeval .*\)\nboom$/);
    assert.match(errorOutput(undefined).message, /\nundefined$/);
  });

  it("a full disk, a quota, a read-only or forbidden folder is the machine's state: exit 2, the path, what to do", () => {
    const fsError = (code: string, path?: string) =>
      Object.assign(new Error(`${code}: something, write`), {
        code,
        syscall: "write",
        ...(path ? { path } : {}),
      });
    const full = errorOutput(fsError("ENOSPC", "/home/h/.fedeval/sites/s/outbox/.tmp-e.json-0a1b2c"));
    assert.equal(full.exitCode, 2);
    assert.equal(full.internal, false);
    assert.equal(full.message, "no space left on the disk holding /home/h/.fedeval/sites/s/outbox");
    assert.match(full.hint ?? "", /^free space there/);
    assert.equal(
      errorOutput(fsError("EROFS", "/ro/lock.tmp-1")).message,
      "/ro is on a read-only file system",
    );
    assert.equal(errorOutput(fsError("EDQUOT", "/q/f")).message, "disk quota exceeded while writing /q/f");
    assert.equal(errorOutput(fsError("EACCES", "/x\nforged")).message, "permission denied: /x\\nforged");
    // the same codes without a system call are not the file system's: still a bug
    assert.equal(errorOutput(Object.assign(new Error("x"), { code: "ENOSPC" })).exitCode, 70);
  });

  it("a message that lists problems keeps a line each, with what they quote made printable", () => {
    const out = errorOutput(
      new UserError('site policy is invalid:\n  policy.yaml:2:1: unknown field "a\u001b[2Kb\u2028c"'),
    );
    assert.equal(
      out.message,
      'site policy is invalid:\n  policy.yaml:2:1: unknown field "a\\u{1b}[2Kb\\u{2028}c"',
    );
  });
});
