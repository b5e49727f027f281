/**
 * `fedeval site keygen`: a new ed25519 signing key for a site. The private key stays in the site
 * workspace (mode 0600); the report holds the public entry to add to `sites/<site>.yaml`.
 */
import { UsageError } from "../base/errors.ts";
import { workspace } from "../base/workspace.ts";
import { SLUG } from "../governance/layout.ts";
import { generateSiteKey, siteKeyYaml } from "../results/site-keys.ts";

export interface SiteKeyRequest {
  site: string;
  /** Default: the UTC date of `now` (`2026-11-02`, then `2026-11-02-2`, ...). */
  id?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

export interface SiteKeyReport {
  /** The key's id. */
  id: string;
  /** When it was made; an older key retired from then on keeps verifying what it signed before. */
  createdAt: string;
  /** The private key file (mode 0600), which never leaves this machine. */
  file: string;
  /** The YAML entry of the public key, for the keys: list of sites/<site>.yaml. */
  entry: string;
}

export async function generateSiteSigningKey(req: SiteKeyRequest): Promise<SiteKeyReport> {
  if (!SLUG.test(req.site))
    throw new UsageError(`--site "${req.site}" is not a site id (lowercase letters, digits and "-")`);
  const { key, file } = await generateSiteKey(workspace(req.env, req.cwd).site(req.site).keys, {
    id: req.id,
    now: req.now(),
  });
  return { id: key.id, createdAt: key.created_at, file, entry: siteKeyYaml(key) };
}
