/**
 * `fedeval site keygen --site S [--id KEYID]`: a new ed25519 signing key for a site. The private
 * key stays in the site workspace (mode 0600); stdout is the entry to add to `sites/S.yaml`.
 */
import { generateSiteSigningKey } from "../app/site-keygen.ts";
import type { CommandIO } from "./io.ts";

export interface SiteKeygenOptions {
  site: string;
  id?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: Date;
}

export async function siteKeygenCommand(opts: SiteKeygenOptions, io: CommandIO): Promise<number> {
  const key = await generateSiteSigningKey({ ...opts, now: () => opts.now });
  io.stdout(key.entry);
  io.stderr(
    [
      `private key written to ${key.file} (mode 0600; it never leaves this machine: back it up like any secret)`,
      `Next: add the entry above to the keys: list of sites/${opts.site}.yaml and open a pull request; once it is merged, \`fedeval outbox approve\` signs with this key.`,
      `To retire an older key, give its entry revoked_at: ${key.createdAt} (results it signed before then keep verifying).`,
      "",
    ].join("\n"),
  );
  return 0;
}
