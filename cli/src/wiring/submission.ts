import { type Command, Option, type OptionValues } from "@commander-js/extra-typings";
import type { ForgeSettings } from "../app/propose-change.ts";
import type { AddedOptions, NoOptions, WiringContext } from "./context.ts";
import { datasetGroup, outboxGroup } from "./site-run.ts";

/** The options every command that proposes a change to the governance repository takes, added to `cmd`'s. */
export function forgeOptions<
  Args extends unknown[],
  Opts extends OptionValues,
  GlobalOpts extends OptionValues,
>(cmd: Command<Args, Opts, GlobalOpts>) {
  return cmd
    .option("--root <dir>", "local governance checkout whose `origin` is the remote", ".")
    .option("--remote <url>", "governance repository to push to (default: the root's origin)")
    .addOption(
      new Option(
        "--forge <forge>",
        "github: push and open a pull request; git: push only (default: github for GitHub remotes)",
      ).choices(["github", "git"]),
    )
    .option(
      "--github-api <url>",
      "GitHub REST API root, for GitHub Enterprise Server (default: $GITHUB_API_URL or https://api.github.com)",
    )
    .option("--github-repo <owner/name>", "GitHub repository (default: from the remote URL)")
    .option("--base <branch>", "branch to propose against (default: the remote's default branch)")
    .option("--fork <owner>", "without push access: push to OWNER's fork and open the pull request from it")
    .option("--fork-remote <url>", "the fork's git URL (default: the remote's URL with OWNER in it)")
    .option("--dry-run", "print the branch, files and pull request text; push nothing");
}

/** forgeOptions' options, parsed. */
type ForgeOptionValues = AddedOptions<typeof forgeOptions<[], NoOptions, NoOptions>>;

/** Commander's parsed forge options → ForgeSettings. */
export function forgeSettings(opts: ForgeOptionValues): ForgeSettings {
  return {
    root: opts.root,
    remote: opts.remote,
    forge: opts.forge,
    githubApi: opts.githubApi,
    githubRepo: opts.githubRepo,
    base: opts.base,
    fork: opts.fork,
    forkRemote: opts.forkRemote,
    dryRun: Boolean(opts.dryRun),
  };
}

/** site keygen, submit, model propose. (outbox approve/reject and dataset register live in their groups.) */
export function wireSubmission({ program, io, exit }: WiringContext): void {
  program
    .command("site")
    .description("site identity")
    .command("keygen")
    .description("make an ed25519 signing key for a site; prints the entry for sites/<site>.yaml")
    .requiredOption("--site <id>", "site id")
    .option("--id <key-id>", "key id (default: today's date, UTC)")
    .action(async (opts) => {
      const { siteKeygenCommand } = await import("../commands/site-keygen.ts");
      exit(
        await siteKeygenCommand(
          { site: opts.site, id: opts.id, env: process.env, cwd: process.cwd(), now: new Date() },
          io,
        ),
      );
    });

  forgeOptions(
    program
      .command("submit")
      .description("submit approved results: one branch and pull request per site and run")
      .option("--site <id>", "site id (default: the only site in the workspace)"),
  ).action(async (opts) => {
    const { submitCommand } = await import("../commands/submit.ts");
    exit(
      await submitCommand(
        {
          ...forgeSettings(opts),
          site: opts.site,
          env: process.env,
          cwd: process.cwd(),
          now: () => new Date(),
        },
        io,
      ),
    );
  });

  const model = program.command("model").description("model associations");
  forgeOptions(
    model
      .command("propose")
      .description("propose a model for a benchmark (association + container definition) as a pull request")
      .requiredOption("--benchmark <id>", "benchmark id")
      .requiredOption(
        "--container <file>",
        "container definition (MedPerf container_config.yaml or MLCube mlcube.yaml)",
      )
      .requiredOption("--id <id>", "model id")
      .option(
        "--image <ref>",
        "image pinned by digest, name@sha256:... (default: the definition's image, if pinned)",
      )
      .option("--owner <login>", "GitHub login or org/team owning the model (default: the token's user)")
      .option("--parameters <file>", "parameters file for the model's tasks")
      .option("--title <text>", "human-readable model name"),
  ).action(async (opts) => {
    const { modelProposeCommand } = await import("../commands/model-propose.ts");
    exit(
      await modelProposeCommand(
        {
          ...forgeSettings(opts),
          benchmark: opts.benchmark,
          container: opts.container,
          id: opts.id,
          image: opts.image,
          owner: opts.owner,
          parameters: opts.parameters,
          title: opts.title,
          env: process.env,
          cwd: process.cwd(),
        },
        io,
      ),
    );
  });
  model
    .command("grant")
    .description(
      "let a site run a private model (EncryptedDockerArchive): seal its decryption key to the site",
    )
    .requiredOption("--benchmark <id>", "benchmark id")
    .requiredOption("--model <id>", "model id")
    .requiredOption("--site <id>", "the site that may run the model")
    .requiredOption("--key-file <file>", "the archive's decryption key (gpg --symmetric --passphrase-file)")
    .option("--root <dir>", "governance repository (its working tree is changed)", ".")
    .action(async (opts) => {
      const { modelGrantCommand } = await import("../commands/model-access.ts");
      exit(await modelGrantCommand(opts, io));
    });
  model
    .command("revoke")
    .description("take back access to a private model: remove the grants of a site, or of every site")
    .requiredOption("--benchmark <id>", "benchmark id")
    .requiredOption("--model <id>", "model id")
    .option("--site <id>", "the site (default: every site)")
    .option("--root <dir>", "governance repository (its working tree is changed)", ".")
    .action(async (opts) => {
      const { modelRevokeCommand } = await import("../commands/model-access.ts");
      exit(await modelRevokeCommand(opts, io));
    });
  const outbox = outboxGroup(program);
  outbox
    .command("approve")
    .description("show results exactly as they will be submitted, then approve and sign them")
    .argument("[ids...]", "outbox entries (default: every pending entry of the site)")
    .option("--site <id>", "site id (default: the only site in the workspace)")
    .option("--root <dir>", "governance repository holding sites/<site>.yaml (keys and owners)", ".")
    .option("--yes", "approve without asking (you reviewed them with `fedeval outbox show`)")
    .option(
      "--as <login>",
      "your GitHub login, recorded as approval.by (default: $GITHUB_ACTOR, else gh's user)",
    )
    .option(
      "--policy",
      "approve only what the site policy (policy.yaml in the site workspace) allows; for unattended runners",
    )
    .action(async (ids, opts) => {
      const { outboxApproveCommand } = await import("../commands/outbox-approve.ts");
      exit(
        await outboxApproveCommand(
          {
            ids,
            site: opts.site,
            root: opts.root,
            yes: Boolean(opts.yes),
            as: opts.as,
            policy: Boolean(opts.policy),
            env: process.env,
            cwd: process.cwd(),
            now: () => new Date(),
            stdinIsTTY: Boolean(process.stdin.isTTY),
          },
          io,
        ),
      );
    });
  outbox
    .command("reject")
    .description("discard a result: it moves to outbox/rejected/ and is never submitted")
    .argument("<id>", "outbox entry")
    .option("--site <id>", "site id (default: the only site in the workspace)")
    .option("--reason <text>", "why; kept with the entry")
    .action(async (id, opts) => {
      const { outboxRejectCommand } = await import("../commands/outbox-reject.ts");
      exit(
        await outboxRejectCommand(
          {
            id,
            site: opts.site,
            reason: opts.reason,
            env: process.env,
            cwd: process.cwd(),
            now: () => new Date(),
          },
          io,
        ),
      );
    });
  forgeOptions(
    datasetGroup(program)
      .command("register")
      .description("propose a prepared dataset's association to the governance repository as a pull request")
      .requiredOption("--benchmark <id>", "benchmark")
      .requiredOption("--site <id>", "your site")
      .requiredOption("--name <id>", "the dataset id given to `dataset prepare`")
      .option(
        "--as <login>",
        "your GitHub login, recorded as requested_by (default: the token's user on GitHub)",
      ),
  ).action(async (opts) => {
    const { datasetRegisterCommand } = await import("../commands/dataset-register.ts");
    exit(
      await datasetRegisterCommand(
        {
          ...forgeSettings(opts),
          benchmark: opts.benchmark,
          site: opts.site,
          name: opts.name,
          as: opts.as,
          env: process.env,
          cwd: process.cwd(),
        },
        io,
      ),
    );
  });
}
