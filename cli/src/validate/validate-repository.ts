/**
 * `fedeval validate` as a library function: load, check schemas and cross-file rules, optionally
 * judge a change and its author's ownership.
 *
 * A change (`changedSince`) is judged by what it would do to the base: the diagnostics of the
 * merge result (the work tree when it already contains the base, as a pull request's merge
 * commit does; else the merge of HEAD into the base) are compared with those of the base. Every
 * problem in a changed file is reported, and so is every error the change brings in anywhere
 * else, saying which changed file brought it: a change that passes never leaves the base invalid.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareDiagnostics, type Diagnostic } from "../base/diagnostics.ts";
import { type FileChange, type GitHistory, gitHistory } from "../base/git-history.ts";
import { ruleName } from "../formats/rules.ts";
import { diagnosticAt } from "../formats/yaml-source.ts";
import { classifyPath, paths } from "../governance/layout.ts";
import { type GovernanceIndex, loadGovernance } from "../governance/loader.ts";
import { checkCodeowners } from "./codeowners-rule.ts";
import { checkCrossFile } from "./cross-file.ts";
import { checkDecisionHistory } from "./decision-history.ts";
import { type Author, checkOwnership } from "./ownership.ts";
import { checkVersionBumps } from "./version-bump.ts";

export interface ValidateOptions {
  root: string;
  /** Judge the change since this revision (the base branch): its files, and what it does to the rest. */
  changedSince?: string;
  /** With `changedSince`: check that this author may touch the changed paths. */
  author?: Author;
  /** Injected for tests; defaults to git in `root`. */
  git?: GitHistory;
}

export interface ValidationReport {
  root: string;
  /** Governance files seen. */
  files: number;
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  valid: boolean;
  /** With `changedSince`: the changes the report is about. */
  changes?: FileChange[];
  index: GovernanceIndex;
}

export async function validateRepository(options: ValidateOptions): Promise<ValidationReport> {
  if (!options.changedSince) {
    const { index, diagnostics } = await loadGovernance(options.root);
    return report(options.root, index, [
      ...diagnostics,
      ...checkCrossFile(index),
      ...(await checkCodeowners(index)),
    ]);
  }
  const git = options.git ?? gitHistory(options.root);
  const scratch = await mkdtemp(join(tmpdir(), "fedeval-validate-"));
  try {
    const base = await git.commitOf(options.changedSince);
    const mergeBase = await git.baseOf(base);
    let root = options.root;
    let changes: FileChange[];
    const conflicts: Diagnostic[] = [];
    if (mergeBase === base) {
      // the work tree already holds the base: it is the merge result
      changes = await git.changedSince(base);
    } else {
      const merged = await git.mergeTree(base);
      if ("conflicts" in merged) {
        for (const file of merged.conflicts)
          conflicts.push(
            diagnosticAt(
              { file },
              undefined,
              "FE611",
              ruleName("FE611"),
              `this change and ${options.changedSince} both changed this file: it does not merge cleanly; rebase the branch onto ${options.changedSince}`,
            ),
          );
        changes = await git.changedSince(mergeBase);
      } else {
        root = await git.materialize(merged.tree, join(scratch, "merge"));
        changes = await git.changedBetween(base, merged.tree);
      }
    }
    const changed = new Set(changes.map((c) => c.file));
    const head = await loadGovernance(root);
    const index = { ...head.index, root: options.root };
    const now = [...head.diagnostics, ...checkCrossFile(index, { changed })];
    const baseRoot = await git.materialize(base, join(scratch, "base"));
    const before = await loadGovernance(baseRoot).catch(() => undefined);
    const was = before ? [...before.diagnostics, ...checkCrossFile(before.index, { changed })] : [];
    const diagnostics = [
      ...conflicts,
      ...now.filter((d) => changed.has(d.file)),
      ...newErrors(now, was, changed, index),
      ...(await checkVersionBumps(index, changes, base, git)),
      ...checkDecisionHistory(index, before?.index, changes, options.author?.login),
      // a change reports a stale CODEOWNERS only when it made it stale (an error)
      ...(await checkCodeowners(index, changed)).filter((d) => d.severity === "error"),
    ];
    if (options.author)
      diagnostics.push(...(await checkOwnership(index, changes, options.author, base, git)));
    return { ...report(options.root, index, diagnostics), changes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function report(root: string, index: GovernanceIndex, diagnostics: Diagnostic[]): ValidationReport {
  diagnostics.sort(compareDiagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  return {
    root,
    files: index.files.length,
    diagnostics,
    errors,
    warnings: diagnostics.length - errors,
    valid: errors === 0,
    index,
  };
}

/**
 * Errors in files the change does not touch that the base did not have, each saying which changed
 * files brought it (those it refers to, else all of them). Lines may move, so an error is the
 * same as the base's when its file, rule and message are.
 */
function newErrors(
  now: Diagnostic[],
  was: Diagnostic[],
  changed: ReadonlySet<string>,
  index: GovernanceIndex,
): Diagnostic[] {
  const key = (d: Diagnostic) => `${d.file}\0${d.rule}\0${d.message}`;
  const old = new Set(was.filter((d) => d.severity === "error").map(key));
  return now
    .filter((d) => d.severity === "error" && !changed.has(d.file) && !old.has(key(d)))
    .map((d) => {
      const related = relatedFiles(d.file, index).filter((f) => changed.has(f));
      const causes = related.length ? related : [...changed];
      return {
        ...d,
        message: `${d.message} (brought in by this change to ${causes.slice(0, 3).join(", ")}${causes.length > 3 ? `, and ${causes.length - 3} more` : ""})`,
      };
    });
}

/** The files a governance file's rules read: a result's model, dataset, site and benchmark, and so on. */
function relatedFiles(file: string, index: GovernanceIndex): string[] {
  const where = classifyPath(file);
  if (!("benchmark" in where)) return [];
  const b = where.benchmark;
  const folder = index.benchmarks.get(b);
  const containers = (refs: { config: string }[]) =>
    refs.flatMap((r) => {
      const name = r.config.replace(/^containers\//, "").replace(/\.ya?ml$/, "");
      return [paths.container(b, r.config), paths.container(b, `containers/${name}/parameters.yaml`)];
    });
  const benchmark = folder?.benchmark?.data;
  const own = [paths.benchmark(b), ...containers(Object.values(benchmark?.containers ?? {}))];
  const siteOf = (dataset: string) => {
    const site = folder?.datasets.get(dataset)?.data.site;
    return site ? [paths.site(site)] : [];
  };
  switch (where.kind) {
    case "model": {
      const model = folder?.models.get(where.model)?.data;
      return [...own, ...containers(model ? [model.container] : [])];
    }
    case "dataset":
      return [...own, ...siteOf(where.dataset)];
    case "result": {
      const model = folder?.models.get(where.model)?.data;
      return [
        ...own,
        paths.model(b, where.model),
        paths.dataset(b, where.dataset),
        ...siteOf(where.dataset),
        ...containers(model ? [model.container] : []),
      ];
    }
    default:
      return own;
  }
}
