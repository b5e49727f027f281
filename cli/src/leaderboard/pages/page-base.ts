/** What every page carries: title, stylesheet, breadcrumbs and how the build was made. */
import type { BuildInfo } from "../types.ts";
import type { Link, Paths } from "./links.ts";

export interface BuildView {
  commit: string;
  dirty: boolean;
  tool: string;
  allow_unsigned: boolean;
  seed: number;
  replicates: number;
}

export interface PageBase {
  title: string;
  /** Stylesheet href, or null when the CSS is inlined (the report). */
  css: string | null;
  inline_css: boolean;
  home: string | null;
  crumbs: Link[];
  build: BuildView;
}

function buildView(build: BuildInfo): BuildView {
  return {
    commit: build.commit ?? "none (not built from a git commit)",
    dirty: build.dirty,
    tool: build.tool,
    allow_unsigned: build.allow_unsigned,
    seed: build.rank_seed,
    replicates: build.rank_replicates,
  };
}

/** The common part of a page; `inline`: the stylesheet goes inside the page (the report). */
export function pageBase(
  title: string,
  build: BuildInfo,
  paths: Paths,
  crumbs: Link[],
  inline: boolean,
): PageBase {
  return {
    title,
    css: inline ? null : `${paths.root}leaderboard.css`,
    inline_css: inline,
    home: paths.root === null ? null : `${paths.root}index.html`,
    crumbs,
    build: buildView(build),
  };
}
