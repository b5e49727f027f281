/**
 * The site workspace: everything a site keeps on its own machine, never in the governance repo.
 *
 *   $FEDEVAL_HOME (default ~/.fedeval)
 *     sites/<site>/
 *       keys/<key-id>.pem          ed25519 private keys, mode 0600
 *       policy.yaml                the site's approval policy for unattended runners
 *       lock                       one run at a time per site workspace
 *       datasets/<benchmark>/<dataset>/
 *         data/ labels/            prepared data (never leaves the site)
 *         statistics.yaml          everything the preparation container reported
 *         dataset.yaml             the association the site would propose (published statistics only)
 *       outbox/<entry-id>.json     results waiting for approval or submission
 *       outbox/sent/, outbox/rejected/   entries kept after they left or were discarded
 *       runs/<run-id>/             logs and scratch folders of a run
 *       additional-files/<sha256>/ containers' additional files, extracted, by archive hash
 *       images/                    image archives while they are loaded into the engine
 *       local-outputs/<benchmark>/<dataset>/<model>/<run-id>/   what an evaluator keeps at the site
 *                                  (its local_outputs_path: never published)
 *     governance/<name>/           clones of governance repositories
 *     members/<login>/keys/<key-id>.pem   a committee member's ed25519 private keys, mode 0600
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export interface Workspace {
  home: string;
  site(site: string): SiteWorkspace;
  governance(name: string): string;
  /** Folder of a committee member's signing keys. */
  memberKeys(login: string): string;
  /** Folder holding one folder per committee member who has keys here. */
  members: string;
}

export interface SiteWorkspace {
  root: string;
  keys: string;
  policy: string;
  lock: string;
  datasets: string;
  dataset(benchmark: string, dataset: string): string;
  outbox: string;
  runs: string;
  additionalFiles: string;
  imageArchives: string;
  /** Evaluators' `local_outputs_path` folders, by benchmark, dataset, model and run. */
  localOutputs(benchmark: string, dataset: string, model: string, runId: string): string;
}

/** `FEDEVAL_HOME`, else `~/.fedeval`. `env` is injected so tests never touch the real home. */
export function workspace(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Workspace {
  const home = env.FEDEVAL_HOME ? resolve(cwd, env.FEDEVAL_HOME) : join(homedir(), ".fedeval");
  return {
    home,
    site(site) {
      const root = join(home, "sites", site);
      return {
        root,
        keys: join(root, "keys"),
        policy: join(root, "policy.yaml"),
        lock: join(root, "lock"),
        datasets: join(root, "datasets"),
        dataset: (benchmark, dataset) => join(root, "datasets", benchmark, dataset),
        outbox: join(root, "outbox"),
        runs: join(root, "runs"),
        additionalFiles: join(root, "additional-files"),
        imageArchives: join(root, "images"),
        localOutputs: (benchmark, dataset, model, runId) =>
          join(root, "local-outputs", benchmark, dataset, model, runId),
      };
    },
    governance: (name) => join(home, "governance", name),
    memberKeys: (login) => join(home, "members", login, "keys"),
    members: join(home, "members"),
  };
}
