/**
 * Makes a container's image available and checks it against its pin, by its container type
 * (containers/container-types.ts): a `DockerImage` is pulled or found by the runner; a
 * `DockerArchive` that the engine does not hold yet is downloaded on the host from its
 * definition's `image` URL, checked against the reference's `archive_sha256`, `docker load`ed, and
 * must hold the image id the reference pins. The archive is deleted once loaded: the engine keeps
 * the image, so a later run downloads nothing.
 *
 * An `EncryptedDockerArchive` (a model's only, as in MedPerf) runs where the model's owner granted
 * the site access: the site opens its grant (`key_grants` of the model association,
 * results/key-grants.ts) with its own key, gpg decrypts the downloaded archive with it (the key
 * is piped, never written), the decrypted archive is loaded and deleted at once, and the image is
 * removed from the engine when the command ends (`dispose`), as MedPerf deletes it after the run.
 * A revoked grant stops the next run, even where the image is still in the engine.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { downloadVerified } from "../base/download.ts";
import { ExternalError, UserError } from "../base/errors.ts";
import { decryptSymmetric } from "../base/gpg.ts";
import type { Logger } from "../base/logger.ts";
import { containerType } from "../containers/container-types.ts";
import { type ContainerRunner, ImageRefusedError, type ResolvedImage } from "../containers/runner.ts";
import { paths } from "../governance/layout.ts";
import type { BenchmarkFolder } from "../governance/loader.ts";
import type { ContainerReference, Model, Site } from "../governance/types.ts";
import { grantContext, openGrant } from "../results/key-grants.ts";
import { readPrivateKey } from "../results/site-keys.ts";
import { pullProgress } from "./runners.ts";

export interface ContainerImageOptions {
  runner: ContainerRunner;
  /** Where archives wait while they are loaded (`<site workspace>/images`). */
  downloads: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The site running, and its private keys folder: needed to open a private model's key grant. */
  access?: { site: Site; keys: string };
  /** Largest archive fetched. */
  maxArchiveBytes?: number;
}

const MAX_ARCHIVE_BYTES = 64 * 2 ** 30;

/** Resolves each image once per command, however many tasks use it. */
export class ContainerImages {
  private readonly pending = new Map<string, Promise<ResolvedImage>>();
  /** Images decrypted from private models' archives: removed by `dispose`. */
  private readonly decrypted = new Set<string>();
  constructor(private readonly opts: ContainerImageOptions) {}

  /**
   * The container's image, resolved and checked against its pin; `model` is the association
   * when the container is a model's (its key grants open an EncryptedDockerArchive). A refusal
   * (not pinned, wrong archive, no access, a container type fedeval cannot run) is an
   * ImageRefusedError; an unreachable engine an ExternalError.
   */
  image(
    folder: BenchmarkFolder,
    ref: ContainerReference,
    role: string,
    model?: Model,
  ): Promise<ResolvedImage> {
    let pending = this.pending.get(ref.image);
    if (!pending) {
      pending = this.resolve(folder, ref, role, model);
      this.pending.set(ref.image, pending);
    }
    return pending;
  }

  /** Removes the images decrypted for this command from the engine. */
  async dispose(): Promise<void> {
    for (const id of this.decrypted) await this.opts.runner.removeImage?.(id);
    this.decrypted.clear();
  }

  private async resolve(
    folder: BenchmarkFolder,
    ref: ContainerReference,
    role: string,
    model: Model | undefined,
  ): Promise<ResolvedImage> {
    const { opts } = this;
    const definition = folder.containers.get(ref.config)?.definition;
    const type = containerType(definition?.containerType ?? "DockerImage");
    const file = paths.container(folder.id, ref.config);
    if (type.refused) throw new ImageRefusedError(`${file}: ${type.refused}`);
    const ensure = () => opts.runner.ensureImage(ref.image, pullProgress(opts.logger, ref.image));
    if (!type.archive || !definition) return ensure();
    const key = type.encrypted ? await this.openedKey(folder, ref, role, model) : undefined;
    const held = await ensure().catch((e: unknown) => {
      if (e instanceof ImageRefusedError) return undefined;
      throw e;
    });
    if (type.encrypted) this.decrypted.add(ref.image);
    if (held) return held;
    if (!opts.runner.loadArchive) {
      throw new ImageRefusedError(`${file}: the ${opts.runner.kind} runner cannot load an image archive`);
    }
    const what = `the image archive of ${role}`;
    const sha256 = ref.archive_sha256;
    if (!sha256) {
      throw new ImageRefusedError(
        `${what}: ${file} is an archive, and its reference declares no archive_sha256`,
      );
    }
    await mkdir(opts.downloads, { recursive: true, mode: 0o700 });
    const base = join(opts.downloads, `.archive-${randomBytes(6).toString("hex")}`);
    const archive = `${base}.download`;
    const plain = `${base}.tar`;
    try {
      opts.logger.info(`fetching ${what} from ${definition.image}`);
      await refusing(
        downloadVerified({
          url: definition.image,
          sha256,
          dest: archive,
          maxBytes: opts.maxArchiveBytes ?? MAX_ARCHIVE_BYTES,
          what,
          env: opts.env,
        }),
      );
      if (key) await refusing(decryptSymmetric(archive, plain, key, what));
      const loaded = await opts.runner.loadArchive(key ? plain : archive);
      await rm(plain, { force: true });
      if (!loaded.includes(ref.image)) {
        if (key) for (const id of loaded) await opts.runner.removeImage?.(id);
        throw new ImageRefusedError(
          `${what}: ${definition.image} holds ${loaded.join(", ") || "no image"}, not the pinned ${ref.image}`,
          "pin the image id the archive holds (docker load prints it), or fix the archive",
        );
      }
    } finally {
      await rm(archive, { force: true });
      await rm(plain, { force: true });
    }
    return ensure();
  }

  /** The decryption key of a private model, opened from the grant to this site. */
  private async openedKey(
    folder: BenchmarkFolder,
    ref: ContainerReference,
    role: string,
    model?: Model,
  ): Promise<Buffer> {
    const file = paths.container(folder.id, ref.config);
    if (!model || model.container !== ref) {
      throw new ImageRefusedError(`${file}: only a model's container may be an EncryptedDockerArchive`);
    }
    const access = this.opts.access;
    const where = paths.model(folder.id, model.id);
    if (!access) throw new ImageRefusedError(`${role} is encrypted: only a site it grants access runs it`);
    const context = grantContext(folder.id, model.id, access.site.id);
    const grants = (model.key_grants ?? []).filter((g) => g.site === access.site.id);
    for (const grant of grants) {
      const listed = access.site.keys?.find((k) => k.id === grant.key && !k.revoked_at);
      if (!listed) continue;
      const privateKey = await readPrivateKey(join(access.keys, `${grant.key}.pem`)).catch(() => undefined);
      const key = privateKey && openGrant(grant, privateKey, context);
      if (key) return key;
    }
    throw new ImageRefusedError(
      `${role} is encrypted, and ${where} grants site ${access.site.id} no key it can open: ask the model's owner for access (fedeval model grant)`,
    );
  }
}

/** A download or decryption that fails refuses this image, never the whole run. */
async function refusing(work: Promise<void>): Promise<void> {
  await work.catch((e: unknown) => {
    if (e instanceof UserError || e instanceof ExternalError) throw new ImageRefusedError(e.message);
    throw e;
  });
}
