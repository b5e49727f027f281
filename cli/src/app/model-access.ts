/**
 * `fedeval model grant` and `fedeval model revoke`: the owner of a private model
 * (EncryptedDockerArchive) lets a site run it by sealing the archive's decryption key to that
 * site's keys (results/key-grants.ts) into the model association's `key_grants`, and takes the
 * access back once the benchmark is done, as MedPerf's "grant access" and "delete keys". The file
 * is changed in the working tree; the owner commits it and opens the pull request (grants need
 * no new approval). The key file is read, never printed or copied.
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../base/errors.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths } from "../governance/layout.ts";
import { loadGovernance } from "../governance/loader.ts";
import type { KeyGrant, Model } from "../governance/types.ts";
import { grantContext, sealForSite } from "../results/key-grants.ts";

export interface ModelAccessRequest {
  root: string;
  benchmark: string;
  model: string;
  /** Revoke: every site when absent. */
  site?: string;
}

export interface ModelAccessReport {
  file: string;
  /** Grants in the file now, by site. */
  sites: string[];
  /** Grants added or removed by this call. */
  changed: number;
}

/** Seals the key in `keyFile` to every key of `site` that is not revoked, replacing its grants. */
export async function grantModelAccess(req: ModelAccessRequest & { site: string; keyFile: string }) {
  const { index, model, file } = await modelOf(req);
  const site = index.sites.get(req.site)?.data;
  if (!site)
    throw new UserError(`site "${req.site}" is not in the governance repository (sites/${req.site}.yaml)`);
  const mode = (await stat(req.keyFile).catch(() => undefined))?.mode;
  if (mode === undefined) throw new UserError(`--key-file ${req.keyFile} does not exist`);
  if (process.platform !== "win32" && mode & 0o077) {
    throw new UserError(`--key-file ${req.keyFile} is readable by other users: chmod 600 it first`);
  }
  const key = await readFile(req.keyFile);
  if (key.length < 16 || key.length > 100) {
    throw new UserError(
      `--key-file ${req.keyFile} holds ${key.length} bytes: a decryption key has 16 to 100 (MedPerf's has 32)`,
    );
  }
  const sealed = sealForSite(key, site, grantContext(req.benchmark, req.model, req.site));
  key.fill(0);
  const grants = [...(model.key_grants ?? []).filter((g) => g.site !== req.site), ...sealed];
  return write(req.root, file, model, grants, sealed.length);
}

/** Removes the grants of `site` (or of every site). */
export async function revokeModelAccess(req: ModelAccessRequest): Promise<ModelAccessReport> {
  const { model, file } = await modelOf(req);
  const before = model.key_grants ?? [];
  const kept = req.site === undefined ? [] : before.filter((g) => g.site !== req.site);
  return write(req.root, file, model, kept, before.length - kept.length);
}

async function modelOf(req: ModelAccessRequest) {
  const { index } = await loadGovernance(req.root);
  const file = paths.model(req.benchmark, req.model);
  const model = index.benchmarks.get(req.benchmark)?.models.get(req.model)?.data;
  if (!model) throw new UserError(`${file} is missing or invalid (see \`fedeval validate\`)`);
  return { index, model, file };
}

async function write(root: string, file: string, model: Model, grants: KeyGrant[], changed: number) {
  const { key_grants: _, ...rest } = model;
  const updated: Model = grants.length ? { ...rest, key_grants: grants } : rest;
  await writeFile(join(root, file), governanceFileText("model", updated));
  return { file, sites: [...new Set(grants.map((g) => g.site))], changed };
}
