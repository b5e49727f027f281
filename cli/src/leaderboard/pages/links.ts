/** Where the pages lie in the output folder, and the links between them. */
import { posix } from "node:path";

/** A link; a null href renders as plain text. */
export interface Link {
  href: string | null;
  label: string;
}

/** Where pages link to, relative to the page being rendered; null hrefs render as plain text. */
export interface Paths {
  root: string | null;
  model(benchmark: string, model: string): string | null;
  site(site: string): string | null;
  benchmark(benchmark: string): string | null;
}

/** Output layout, relative to the output folder. */
export const PAGE = {
  index: "index.html",
  benchmark: (b: string) => `benchmarks/${b}/index.html`,
  model: (b: string, m: string) => `benchmarks/${b}/models/${m}.html`,
  site: (s: string) => `sites/${s}.html`,
};

/** Links from the page at `page` (a path relative to the output folder). */
export function pathsFrom(page: string): Paths {
  const here = posix.dirname(page);
  const rel = (target: string) => posix.relative(here, target);
  return {
    root: here === "." ? "" : `${rel(".")}/`,
    model: (b, m) => rel(PAGE.model(b, m)),
    site: (s) => rel(PAGE.site(s)),
    benchmark: (b) => rel(PAGE.benchmark(b)),
  };
}

/** For the self-contained report: no links leave the file. */
export const NO_LINKS: Paths = { root: null, model: () => null, site: () => null, benchmark: () => null };
