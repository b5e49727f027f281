/**
 * `fedeval model propose`: proposes a model association (`status: proposed`) and its container
 * definition, copied unchanged into `benchmarks/B/containers/ID.yaml`, as a pull request on a
 * fresh branch from the remote's base. For a model the base has approved, the proposal is an
 * update beside the approved version (`update:`, and a definition of its own when it differs),
 * which sites do not run until committee members approve it (`fedeval approve`).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError, UserError } from "../base/errors.ts";
import { gitHistory } from "../base/git-history.ts";
import { printable } from "../base/printable.ts";
import { FEDEVAL_VERSION } from "../base/version.ts";
import { loadContainerDefinition } from "../containers/definition.ts";
import type { ContainerDefinition } from "../containers/types.ts";
import { renderPullRequestBody } from "../forge/pr-body.ts";
import { checkValue } from "../formats/schema-registry.ts";
import { parseYaml } from "../formats/yaml-source.ts";
import { editYaml } from "../formats/yaml-write.ts";
import { governanceFileText } from "../governance/governance-file.ts";
import { paths, requireSlugFlags } from "../governance/layout.ts";
import type { Model } from "../governance/types.ts";
import type { ProposalCheck } from "./check-proposal.ts";
import { type ChangeReport, type ProposeChangeRequest, proposeChange } from "./propose-change.ts";

export interface ModelProposeRequest extends ProposeChangeRequest {
  benchmark: string;
  /** The container definition file, relative to `cwd`. */
  container: string;
  /** The model's id. */
  id: string;
  /** The pinned image; default: the definition's image, when pinned by digest. */
  image?: string;
  /** GitHub login or org/team owning the model; default: the token's user on GitHub. */
  owner?: string;
  /** A parameters file for the model's tasks, copied to containers/ID/parameters.yaml. */
  parameters?: string;
  title?: string;
}

export interface ModelProposeReport extends ChangeReport {
  /** The model association's path in the governance repository. */
  path: string;
  /** The base branch has this model approved: the proposal is an update beside it (`update:`). */
  updatesApproved: boolean;
}

/** Proposes the model; an unusable definition, an invalid association or a taken id is a UserError. */
export async function proposeModel(req: ModelProposeRequest): Promise<ModelProposeReport> {
  requireSlugFlags([
    ["--benchmark", req.benchmark],
    ["--id", req.id],
  ]);
  const containerFile = resolve(req.cwd, req.container);
  const definition = await modelDefinition(containerFile, req.container);
  const definitionBytes = await readFile(containerFile);
  const parametersBytes = req.parameters
    ? await readFile(resolve(req.cwd, req.parameters)).catch(() => {
        throw new UserError(`${req.parameters}: no such file`);
      })
    : undefined;
  const path = paths.model(req.benchmark, req.id);
  let updatesApproved = false;
  const change = await proposeChange(req, async (conn) => {
    const owner = req.owner ?? (conn.github ? await conn.github.login() : undefined);
    if (!owner) throw new UsageError("who owns the model? Pass --owner LOGIN (a GitHub login or org/team)");
    const history = gitHistory(conn.clone.dir);
    const baseRef = `origin/${conn.clone.base}`;
    const baseText = await history.readAt(baseRef, path);
    const approved = baseText ? (parseYaml(baseText, path).source?.data as Model | undefined) : undefined;
    updatesApproved = approved?.status === "approved";
    // an update goes beside the approved version: its definition may not overwrite the approved one
    let config = `containers/${req.id}.yaml`;
    if (updatesApproved && approved) {
      const same = async (file: string, bytes: Buffer | undefined) =>
        (await history.readAt(baseRef, paths.container(req.benchmark, file))) === bytes?.toString("utf8");
      const name = approved.container.config.replace(/^containers\//, "").replace(/\.ya?ml$/, "");
      const unchanged =
        (await same(approved.container.config, definitionBytes)) &&
        (await same(`containers/${name}/parameters.yaml`, parametersBytes));
      config = unchanged
        ? approved.container.config
        : `containers/${updateName(req.id, definitionBytes, parametersBytes)}.yaml`;
    }
    const files = new Map<string, string | Buffer>([
      [paths.container(req.benchmark, config), definitionBytes],
    ]);
    if (parametersBytes)
      files.set(
        paths.container(req.benchmark, config.replace(/\.yaml$/, "/parameters.yaml")),
        parametersBytes,
      );
    const image = req.image ?? definition.image;
    const model: Model = {
      schema: "fedeval/model@1",
      id: req.id,
      ...(req.title ? { title: req.title } : {}),
      owner: [owner],
      container: { image, config },
      status: "proposed",
      requested_by: owner.includes("/") ? undefined : owner,
    };
    if (!model.requested_by) delete model.requested_by;
    const problems = checkValue("model", model);
    if (problems.length) {
      const hint = req.image
        ? ""
        : `\n(the image comes from ${req.container}; pass --image NAME@sha256:DIGEST to pin it)`;
      throw new UserError(
        `the model association would be invalid:\n${problems.map((p) => `  ${printable(p)}`).join("\n")}${hint}`,
      );
    }
    if (updatesApproved && baseText) {
      const update = {
        container: model.container,
        ...(model.requested_by ? { requested_by: model.requested_by } : {}),
      };
      files.set(path, editYaml(baseText, [[["update"], update]]));
    } else files.set(path, governanceFileText("model", model));
    return {
      branch: `fedeval/models/${req.benchmark}/${req.id}`,
      fresh: true,
      files,
      message: `${updatesApproved ? "Propose an update of" : "Propose"} model ${req.id} for ${req.benchmark}\n\nImage ${image}; proposed with fedeval ${FEDEVAL_VERSION}.`,
      review: (check) => refuseTakenConfig(check, req, config, conn.clone.url),
      pullRequest: async () => ({
        title: `${updatesApproved ? "Update" : "Propose"} model ${req.id} for ${req.benchmark}`,
        body: renderPullRequestBody("model", {
          benchmark: req.benchmark,
          model: req.id,
          owner,
          image,
          config,
          format: definition.format === "mlcube" ? "MLCube mlcube.yaml" : "MedPerf container_config.yaml",
          tool: FEDEVAL_VERSION,
          path,
          update: updatesApproved,
          files: [...files.keys()],
        }),
        labels: ["fedeval", "model"],
      }),
    };
  });
  return { ...change, path, updatesApproved };
}

/** A container name for an update's definition, beside the approved one: the model id and a short hash of what it runs. */
function updateName(id: string, definition: Buffer, parameters: Buffer | undefined): string {
  const hash = createHash("sha256")
    .update(definition)
    .update(parameters ?? "")
    .digest("hex")
    .slice(0, 8);
  return `${id.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

/** The definition of a model's container: it loads, and it has an infer task. */
async function modelDefinition(file: string, shown: string): Promise<ContainerDefinition> {
  const parsed = await loadContainerDefinition(file, shown);
  const definition = parsed.definition;
  if (!definition)
    throw new UserError(
      `${shown} is not a usable container definition:\n${parsed.diagnostics.map((d) => `  ${printable(d.file)}:${d.line}:${d.col}: ${printable(d.message)}`).join("\n")}`,
    );
  if (!definition.tasks.infer)
    throw new UserError(`${shown} has no infer task, which a model container needs`);
  return definition;
}

/** The remote has the benchmark, and no other model (nor the benchmark itself) uses `config`. */
function refuseTakenConfig(
  check: ProposalCheck,
  req: ModelProposeRequest,
  config: string,
  url: string,
): void {
  const folder = check.index.benchmarks.get(req.benchmark);
  if (!folder?.benchmark) throw new UserError(`${url} has no benchmark ${req.benchmark}`);
  const b = folder.benchmark.data;
  const users = [
    ...Object.entries(b.containers).map(([role, ref]) => [
      `the benchmark's ${role.replace("_", " ")}`,
      ref.config,
    ]),
    ...[...folder.models.values()]
      .filter((m) => m.data.id !== req.id)
      .map((m) => [`model ${m.data.id}`, m.data.container.config]),
  ];
  const clash = users.find(([, c]) => c === config);
  if (clash)
    throw new UserError(
      `${paths.container(req.benchmark, config)} is already the container definition of ${clash[0]}; choose another --id`,
    );
}
