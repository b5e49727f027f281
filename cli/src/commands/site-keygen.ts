/**
 * `fedeval site keygen --site S [--id KEYID]`: a new ed25519 signing key for a site. The private
 * key stays in the site workspace (mode 0600); stdout is the entry to add to `sites/S.yaml`.
 */
import { UsageError } from "../base/errors.ts";
import { workspace } from "../base/workspace.ts";
import { SLUG } from "../governance/layout.ts";
import { generateSiteKey, siteKeyYaml } from "../results/site-keys.ts";
import type { CommandIO } from "./io.ts";

export interface SiteKeygenOptions {
  site: string;
  id?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: Date;
}

export async function siteKeygenCommand(opts: SiteKeygenOptions, io: CommandIO): Promise<number> {
  if (!SLUG.test(opts.site))
    throw new UsageError(`--site "${opts.site}" is not a site id (lowercase letters, digits and "-")`);
  const { key, file } = await generateSiteKey(workspace(opts.env, opts.cwd).site(opts.site).keys, {
    id: opts.id,
    now: opts.now,
  });
  io.stdout(siteKeyYaml(key));
  io.stderr(
    [
      `private key written to ${file} (mode 0600; it never leaves this machine: back it up like any secret)`,
      `Next: add the entry above to the keys: list of sites/${opts.site}.yaml and open a pull request; once it is merged, \`fedeval outbox approve\` signs with this key.`,
      `To retire an older key, give its entry revoked_at: ${key.created_at} (results it signed before then keep verifying).`,
      "",
    ].join("\n"),
  );
  return 0;
}
