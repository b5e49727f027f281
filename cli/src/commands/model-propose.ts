/**
 * `fedeval model propose --benchmark B --container FILE --id ID [--image REF] [--owner LOGIN]`:
 * proposes a model association (`status: proposed`) and its container definition, copied
 * unchanged into `benchmarks/B/containers/ID.yaml`, as a pull request.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { checkProposal } from "../app/check-proposal.ts";
import { UsageError, UserError } from "../base/errors.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import { workspace } from "../base/workspace.ts";
import { loadContainerDefinition } from "../containers/definition.ts";
import { renderPullRequestBody } from "../forge/pr-body.ts";
import {
  connect,
  describeProposal,
  type ForgeRuntime,
  type ForgeSettings,
  propose,
  refusal,
} from "../forge/proposal.ts";
import { checkValue } from "../formats/schema-registry.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths, requireSlugFlags } from "../governance/layout.ts";
import type { Model } from "../governance/types.ts";
import type { CommandIO } from "./io.ts";

export interface ModelProposeOptions extends ForgeSettings {
  benchmark: string;
  container: string;
  id: string;
  /** The pinned image; default: the definition's image, when pinned by digest. */
  image?: string;
  /** GitHub login or org/team owning the model; default: the token's user on GitHub. */
  owner?: string;
  /** A parameters file for the model's tasks, copied to containers/ID/parameters.yaml. */
  parameters?: string;
  title?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  githubTiming?: ForgeRuntime["githubTiming"];
}

export async function modelProposeCommand(opts: ModelProposeOptions, io: CommandIO): Promise<number> {
  requireSlugFlags([
    ["--benchmark", opts.benchmark],
    ["--id", opts.id],
  ]);
  const containerFile = resolve(opts.cwd, opts.container);
  const parsed = await loadContainerDefinition(containerFile, opts.container);
  const definition = parsed.definition;
  if (!definition)
    throw new UserError(
      `${opts.container} is not a usable container definition:\n${parsed.diagnostics.map((d) => `  ${d.file}:${d.line}:${d.col}: ${d.message}`).join("\n")}`,
    );
  if (!definition.tasks.infer)
    throw new UserError(`${opts.container} has no infer task, which a model container needs`);
  const config = `containers/${opts.id}.yaml`;
  const files = new Map<string, string | Buffer>([
    [paths.container(opts.benchmark, config), await readFile(containerFile)],
  ]);
  if (opts.parameters) {
    files.set(
      paths.container(opts.benchmark, `containers/${opts.id}/parameters.yaml`),
      await readFile(resolve(opts.cwd, opts.parameters)).catch(() => {
        throw new UserError(`${opts.parameters}: no such file`);
      }),
    );
  }

  const ws = workspace(opts.env, opts.cwd);
  const conn = await connect(opts, {
    env: opts.env,
    workspace: ws,
    logger: io.logger,
    githubTiming: opts.githubTiming,
  });
  try {
    const owner = opts.owner ?? (conn.github ? await conn.github.login() : undefined);
    if (!owner) throw new UsageError("who owns the model? Pass --owner LOGIN (a GitHub login or org/team)");
    const model: Model = {
      schema: "fedeval/model@1",
      id: opts.id,
      ...(opts.title ? { title: opts.title } : {}),
      owner: [owner],
      container: { image: opts.image ?? definition.image, config },
      status: "proposed",
      requested_by: owner.includes("/") ? undefined : owner,
    };
    if (!model.requested_by) delete model.requested_by;
    const problems = checkValue("model", model);
    if (problems.length) {
      const hint = opts.image
        ? ""
        : `\n(the image comes from ${opts.container}; pass --image NAME@sha256:DIGEST to pin it)`;
      throw new UserError(
        `the model association would be invalid:\n${problems.map((p) => `  ${p}`).join("\n")}${hint}`,
      );
    }
    const modelPath = paths.model(opts.benchmark, opts.id);
    files.set(modelPath, governanceFileText("model", model));
    const check = await checkProposal(conn.clone, files);
    const folder = check.index.benchmarks.get(opts.benchmark);
    if (!folder?.benchmark) throw new UserError(`${conn.clone.url} has no benchmark ${opts.benchmark}`);
    const b = folder.benchmark.data;
    const users = [
      ...Object.entries(b.containers).map(([role, ref]) => [
        `the benchmark's ${role.replace("_", " ")}`,
        ref.config,
      ]),
      ...[...folder.models.values()]
        .filter((m) => m.data.id !== opts.id)
        .map((m) => [`model ${m.data.id}`, m.data.container.config]),
    ];
    const clash = users.find(([, c]) => c === config);
    if (clash)
      throw new UserError(
        `${paths.container(opts.benchmark, config)} is already the container definition of ${clash[0]}; choose another --id`,
      );
    if (check.errors.size) throw new UserError(refusal(check.errors));
    if (!check.differs.size) {
      io.stdout(`${modelPath} in ${conn.clone.base} already says exactly this; nothing to propose\n`);
      return 0;
    }
    const outcome = await propose(conn, {
      branch: `fedeval/models/${opts.benchmark}/${opts.id}`,
      files,
      message: `Propose model ${opts.id} for ${opts.benchmark}\n\nImage ${model.container.image}; proposed with fedeval ${FEDEVAL_VERSION}.`,
      pullRequest: async () => ({
        title: `Propose model ${opts.id} for ${opts.benchmark}`,
        body: renderPullRequestBody("model", {
          benchmark: opts.benchmark,
          model: opts.id,
          owner,
          image: model.container.image,
          config,
          format: definition.format === "mlcube" ? "MLCube mlcube.yaml" : "MedPerf container_config.yaml",
          tool: FEDEVAL_VERSION,
          files: [...files.keys()],
        }),
        labels: ["fedeval", "model"],
      }),
    });
    io.stdout(describeProposal(outcome, files, opts.dryRun));
    return 0;
  } finally {
    await conn.close();
  }
}
