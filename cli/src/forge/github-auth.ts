/**
 * GitHub hosts and tokens without the REST client: the token comes from GITHUB_TOKEN or GH_TOKEN
 * (GH_ENTERPRISE_TOKEN / GITHUB_ENTERPRISE_TOKEN first for an Enterprise host), else from the gh
 * CLI's hosts.yml. Kept apart from github.ts so that commands needing only a login do not load
 * Octokit and undici.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { UserError } from "../base/errors.ts";

export const GITHUB_API = "https://api.github.com";

/** The web host of an API root: api.github.com → github.com; https://ghe.example/api/v3 → ghe.example. */
export function githubHost(apiUrl: string): string {
  const url = new URL(apiUrl);
  return url.hostname === "api.github.com" ? "github.com" : url.host;
}

/** gh's configuration folder, as gh finds it. */
function ghConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.GH_CONFIG_DIR) return env.GH_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "gh");
  return join(env.HOME || homedir(), ".config", "gh");
}

interface GhHost {
  user?: string;
  oauth_token?: string;
  users?: Record<string, { oauth_token?: string } | null>;
}

async function ghHost(env: NodeJS.ProcessEnv, host: string): Promise<{ entry?: GhHost; file: string }> {
  const file = join(ghConfigDir(env), "hosts.yml");
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return { file };
  let hosts: unknown;
  try {
    hosts = parse(text);
  } catch {
    throw new UserError(`${file} is not valid YAML; fix it or run \`gh auth login\` again`);
  }
  const entry = (hosts as Record<string, GhHost> | null)?.[host];
  return { entry: entry && typeof entry === "object" ? entry : undefined, file };
}

/** The login gh is signed in as for `host`, if any. */
export async function ghLogin(env: NodeJS.ProcessEnv, host = "github.com"): Promise<string | undefined> {
  return (await ghHost(env, host)).entry?.user;
}

/** A token for `host`, and where it came from. */
export async function githubToken(
  env: NodeJS.ProcessEnv,
  host: string,
): Promise<{ token: string; source: string }> {
  const names =
    host === "github.com"
      ? ["GITHUB_TOKEN", "GH_TOKEN"]
      : ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"];
  for (const name of names) {
    const token = env[name]?.trim();
    if (token) return { token, source: name };
  }
  const { entry, file } = await ghHost(env, host);
  const token = entry?.oauth_token ?? (entry?.user ? entry.users?.[entry.user]?.oauth_token : undefined);
  if (token) return { token, source: file };
  if (entry) {
    throw new UserError(
      `gh is signed in to ${host} but keeps its token in the system keyring, where fedeval cannot read it; run: export GH_TOKEN="$(gh auth token --hostname ${host})"`,
    );
  }
  throw new UserError(
    `no GitHub token for ${host}: set GITHUB_TOKEN (a token that may push branches and open pull requests), or sign in with \`gh auth login\``,
  );
}
