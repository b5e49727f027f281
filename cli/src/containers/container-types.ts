/**
 * MedPerf's container types (`container_type` of a container_config.yaml; MedPerf's
 * enums.ContainerTypes), one record each: how fedeval makes the image available, or why it
 * cannot run it here.
 *
 * - `DockerImage`: `image` is a registry reference; the reference pins it by digest or image id.
 * - `DockerArchive`: `image` is the URL of a `docker save` archive (MedPerf's runners/
 *   docker_runner.py `_download_docker_archive` and `_run_archive`). fedeval downloads it on the
 *   host, checks it against the reference's `archive_sha256` (MedPerf's `image_hash` of an
 *   archive), `docker load`s it, and runs the image id the reference pins, which it must hold.
 * - `EncryptedDockerArchive`: the same archive, GPG-encrypted (MedPerf's scripts/encrypt_container
 *   and `_run_encrypted_archive`); a model's only, run where its owner granted the site the key.
 * - `SingularityFile`, `EncryptedSingularityFile`: refused; fedeval runs a Docker Engine API.
 */
export interface ContainerType {
  /** Set when fedeval cannot run this type: one line saying why and what it runs. */
  refused?: string;
  /** The image comes from an archive at the `image` URL, loaded into the engine before it runs. */
  archive?: boolean;
  /** The archive is GPG-encrypted; the key comes from a grant to the site. */
  encrypted?: boolean;
}

const SUPPORTED =
  "fedeval runs DockerImage (a registry image pinned by digest, or a local image pinned by id), DockerArchive (a `docker save` archive by URL) and EncryptedDockerArchive (the same, GPG-encrypted)";
const NO_SINGULARITY =
  "fedeval runs containers through a Docker Engine API (Docker or Podman), not Singularity";

export const CONTAINER_TYPES: Record<string, ContainerType> = {
  DockerImage: {},
  DockerArchive: { archive: true },
  EncryptedDockerArchive: { archive: true, encrypted: true },
  SingularityFile: {
    refused: `SingularityFile cannot run here: ${NO_SINGULARITY}; ${SUPPORTED}`,
  },
  EncryptedSingularityFile: {
    refused: `EncryptedSingularityFile cannot run here: ${NO_SINGULARITY}; ${SUPPORTED}`,
  },
};

/** The record of `name`; an unknown name is refused like a type fedeval cannot run. */
export function containerType(name: string): ContainerType {
  return (
    CONTAINER_TYPES[name] ?? {
      refused: `container_type ${name} is not one MedPerf defines; ${SUPPORTED}`,
    }
  );
}
