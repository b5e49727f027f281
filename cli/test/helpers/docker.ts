/**
 * Docker for tests. Tests that need a Docker Engine use `dockerForTests()`:
 * - engine reachable: run;
 * - engine missing in CI (`CI` set): the test file fails, naming why;
 * - engine missing elsewhere: the suite is skipped with the reason (`describe(name, { skip }, ...)`).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import Docker from "dockerode";
import type { RunLimits } from "../../src/containers/runner.ts";

export interface TestDocker {
  docker: Docker;
  /** A reason to skip, when the engine is unreachable outside CI. */
  skip: string | false;
}

export async function dockerForTests(): Promise<TestDocker> {
  const docker = new Docker();
  try {
    await docker.ping();
    return { docker, skip: false };
  } catch (err) {
    const reason = `no Docker Engine reachable (${(err as Error).message}): start dockerd to run these tests`;
    if (process.env.CI) throw new Error(`CI requires a Docker Engine: ${reason}`);
    return { docker, skip: reason };
  }
}

/**
 * The `docker run` flags that give a container what DockerRunner gives a task (except the mounts):
 * the baseline of the benchmarks, which time the same containers started directly.
 */
export function isolatedDockerRunFlags(limits: RunLimits): string[] {
  return [
    "--rm",
    "--network=none",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    `--pids-limit=${limits.pids}`,
    `--memory=${limits.memoryBytes}`,
    `--memory-swap=${limits.memoryBytes}`,
    `--shm-size=${limits.shmBytes}`,
    `--tmpfs=/tmp:rw,exec,nosuid,nodev,size=${limits.tmpBytes}`,
    `--ulimit=fsize=${limits.outputBytes}`,
    "--log-driver=none",
    `--user=${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
  ];
}

/** A label value unique to this test file's containers: `fedeval.run=<id>`. */
export function testRunLabel(): { labels: Record<string, string>; filter: string } {
  const id = randomUUID();
  return { labels: { "fedeval.run": id }, filter: `fedeval.run=${id}` };
}

/** Containers (running or not) carrying the label `filter` (`key=value`). */
export async function containersLabelled(docker: Docker, filter: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [filter] } });
  return list.map((c) => c.Id);
}

/**
 * A minimal registry (Docker Registry HTTP API v2) on 127.0.0.1 serving one tiny image (one
 * layer holding /hello.txt) under `name`, whatever digest or tag is asked for: so asking for
 * another digest gets content that does not match it. Docker treats 127.0.0.0/8 as an
 * insecure registry (plain HTTP) by default.
 */
export async function serveTinyImage(name: string): Promise<{ host: string; digest: string; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "fedeval-layer-"));
  writeFileSync(join(dir, "hello.txt"), `hello from ${name}\n`);
  const layerTar = execFileSync("tar", ["-c", "-C", dir, "hello.txt"]);
  rmSync(dir, { recursive: true });
  const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/hello"] },
      rootfs: { type: "layers", diff_ids: [sha(layerTar)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: {
        mediaType: "application/vnd.docker.container.image.v1+json",
        size: config.length,
        digest: sha(config),
      },
      layers: [
        {
          mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
          size: layer.length,
          digest: sha(layer),
        },
      ],
    }),
  );
  const blobs = new Map([
    [sha(config), config],
    [sha(layer), layer],
  ]);
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    const send = (status: number, body: Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Length": String(body.length), ...headers });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const unknown = Buffer.from(
      JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }),
    );
    if (url === "/v2/") send(200, Buffer.from("{}"), { "Docker-Distribution-API-Version": "registry/2.0" });
    else if (url.startsWith(`/v2/${name}/manifests/`)) {
      send(200, manifest, {
        "Content-Type": "application/vnd.docker.distribution.manifest.v2+json",
        "Docker-Content-Digest": sha(manifest),
      });
    } else {
      const blob = url.startsWith(`/v2/${name}/blobs/`) ? blobs.get(url.split("/").pop() ?? "") : undefined;
      if (blob) send(200, blob, { "Content-Type": "application/octet-stream" });
      else send(404, unknown, { "Content-Type": "application/json" });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    digest: sha(manifest),
    close: () => server.close(),
  };
}
