/**
 * Makes a container's image available and checks it against its pin, by its container type
 * (containers/container-types.ts): a `DockerImage` is pulled or found by the runner; a
 * `DockerArchive` that the engine does not hold yet is downloaded on the host from its
 * definition's `image` URL, checked against the reference's `archive_sha256`, `docker load`ed, and
 * must hold the image id the reference pins. The archive is deleted once loaded: the engine keeps
 * the image, so a later run downloads nothing.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { downloadVerified } from "../base/download.ts";
import { ExternalError, UserError } from "../base/errors.ts";
import type { Logger } from "../base/logger.ts";
import { containerType } from "../containers/container-types.ts";
import { type ContainerRunner, ImageRefusedError, type ResolvedImage } from "../containers/runner.ts";
import { paths } from "../governance/layout.ts";
import type { BenchmarkFolder } from "../governance/loader.ts";
import type { ContainerReference } from "../governance/types.ts";
import { pullProgress } from "./runners.ts";

export interface ContainerImageOptions {
  runner: ContainerRunner;
  /** Where archives wait while they are loaded (`<site workspace>/images`). */
  downloads: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Largest archive fetched. */
  maxArchiveBytes?: number;
}

const MAX_ARCHIVE_BYTES = 64 * 2 ** 30;

/** Resolves each image once per command, however many tasks use it. */
export class ContainerImages {
  private readonly pending = new Map<string, Promise<ResolvedImage>>();
  constructor(private readonly opts: ContainerImageOptions) {}

  /**
   * The container's image, resolved and checked against its pin. A refusal (not pinned, wrong
   * archive, no such image, a container type fedeval cannot run) is an ImageRefusedError or a
   * UserError; an unreachable engine an ExternalError.
   */
  image(folder: BenchmarkFolder, ref: ContainerReference, role: string): Promise<ResolvedImage> {
    let pending = this.pending.get(ref.image);
    if (!pending) {
      pending = containerImage(this.opts, folder, ref, role);
      this.pending.set(ref.image, pending);
    }
    return pending;
  }
}

async function containerImage(
  opts: ContainerImageOptions,
  folder: BenchmarkFolder,
  ref: ContainerReference,
  role: string,
): Promise<ResolvedImage> {
  const definition = folder.containers.get(ref.config)?.definition;
  const type = containerType(definition?.containerType ?? "DockerImage");
  const file = paths.container(folder.id, ref.config);
  if (type.refused) throw new ImageRefusedError(`${file}: ${type.refused}`);
  const ensure = () => opts.runner.ensureImage(ref.image, pullProgress(opts.logger, ref.image));
  if (!type.archive || !definition) return ensure();
  const held = await ensure().catch((e: unknown) => {
    if (e instanceof ImageRefusedError) return undefined;
    throw e;
  });
  if (held) return held;
  if (!opts.runner.loadArchive) {
    throw new ImageRefusedError(`${file}: the ${opts.runner.kind} runner cannot load a DockerArchive`);
  }
  const what = `the image archive of ${role}`;
  const sha256 = ref.archive_sha256;
  if (!sha256)
    throw new ImageRefusedError(
      `${what}: ${file} is an archive, and its reference declares no archive_sha256`,
    );
  await mkdir(opts.downloads, { recursive: true });
  const archive = join(opts.downloads, `.archive-${randomBytes(6).toString("hex")}.tar`);
  try {
    opts.logger.info(`fetching ${what} from ${definition.image}`);
    await downloadVerified({
      url: definition.image,
      sha256,
      dest: archive,
      maxBytes: opts.maxArchiveBytes ?? MAX_ARCHIVE_BYTES,
      what,
      env: opts.env,
    }).catch((e: unknown) => {
      // a missing or different archive refuses this image, never the whole run
      if (e instanceof UserError || e instanceof ExternalError) throw new ImageRefusedError(e.message);
      throw e;
    });
    const loaded = await opts.runner.loadArchive(archive);
    if (!loaded.includes(ref.image)) {
      throw new ImageRefusedError(
        `${what}: ${definition.image} holds ${loaded.join(", ") || "no image"}, not the pinned ${ref.image}`,
        "pin the image id the archive holds (docker load prints it), or fix the archive",
      );
    }
  } finally {
    await rm(archive, { force: true });
  }
  return ensure();
}
