/**
 * Whether a local governance clone is behind its remote, so `plan` and `run` can say that they
 * worked from old files (a model approved on the remote is not in the plan yet), and bring it up to
 * date when asked (`--fetch`: fetch, then fast-forward only; a clone with local commits or edits
 * in the way is refused with git's reason, never merged or reset).
 */
import { UserError } from "./errors.ts";
import { gitText } from "./git.ts";

export interface CloneFreshness {
  /** The branch checked out, e.g. `main`. */
  branch: string;
  /** Its upstream, e.g. `origin/main`. */
  upstream: string;
  /** The remote's branch has commits the checkout lacks. */
  outdated: boolean;
  /** How many, when the clone already has them (fetched but not merged); absent when unknown. */
  behind?: number;
  /** With `fetch`: the checkout was fast-forwarded by this many commits. */
  updated: number;
  /** The remote could not be reached: git's reason. */
  unreachable?: string;
}

const git = (root: string, ...args: string[]) => gitText(root, args).then((t) => t.trim());

/**
 * Undefined when `root` is not a git clone on a branch with an upstream (nothing to compare with).
 * Without `fetch` the remote is asked for its branch head only (`git ls-remote`); nothing changes.
 */
export async function cloneFreshness(root: string, fetch: boolean): Promise<CloneFreshness | undefined> {
  const branch = await git(root, "symbolic-ref", "--quiet", "--short", "HEAD").catch(() => "");
  const upstream = branch
    ? await git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}").catch(() => "")
    : "";
  const remote = branch ? await git(root, "config", "--get", `branch.${branch}.remote`).catch(() => "") : "";
  const merge = branch ? await git(root, "config", "--get", `branch.${branch}.merge`).catch(() => "") : "";
  if (!upstream || !remote || !merge || remote === ".") return undefined;
  const state: CloneFreshness = { branch, upstream, outdated: false, updated: 0 };
  if (fetch) {
    try {
      await git(root, "fetch", "--quiet", remote, `+${merge}:refs/remotes/${upstream}`);
    } catch (e) {
      throw new UserError(`could not fetch ${upstream} into ${root}: ${(e as Error).message}`);
    }
    const behind = Number(await git(root, "rev-list", "--count", `HEAD..${upstream}`));
    if (behind) {
      try {
        await git(root, "merge", "--ff-only", "--quiet", upstream);
      } catch (e) {
        throw new UserError(
          `fetched ${upstream}, but ${root} cannot fast-forward to it (local commits or changes): ${(e as Error).message}`,
        );
      }
    }
    state.updated = behind;
    return state;
  }
  let head: string;
  try {
    head = (await git(root, "ls-remote", "--quiet", remote, merge)).split(/\s/)[0] ?? "";
  } catch (e) {
    state.unreachable = (e as Error).message.split("\n")[0];
    return state;
  }
  if (!head) return state;
  const known = await git(root, "cat-file", "-e", `${head}^{commit}`).then(
    () => true,
    () => false,
  );
  if (!known) state.outdated = true;
  else if (head !== (await git(root, "rev-parse", "HEAD"))) {
    state.behind = Number(await git(root, "rev-list", "--count", `HEAD..${head}`));
    state.outdated = state.behind > 0;
  }
  return state;
}

/** A warning about a clone that is behind, or whose remote could not be asked; undefined when up to date. */
export function freshnessWarning(root: string, state: CloneFreshness | undefined): string | undefined {
  if (!state) return undefined;
  if (state.unreachable)
    return `could not ask ${state.upstream}'s remote whether ${root} is up to date (${state.unreachable}); the plan uses the local files`;
  if (!state.outdated) return undefined;
  const count = state.behind ? ` by ${state.behind} commit${state.behind === 1 ? "" : "s"}` : "";
  return `${root} is behind ${state.upstream}${count}: the plan uses the local files, which may lack approvals already merged; run again with --fetch (or git pull)`;
}
