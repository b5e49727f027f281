/**
 * The JSON Schema of every file kind fedeval validates, imported as JSON modules so the CLI and
 * action bundles carry them.
 */
import benchmarkSchema from "../../../schemas/benchmark.schema.json" with { type: "json" };
import datasetSchema from "../../../schemas/dataset.schema.json" with { type: "json" };
import medperfContainerConfigSchema from "../../../schemas/medperf-container-config.schema.json" with {
  type: "json",
};
import mlcubeSchema from "../../../schemas/mlcube.schema.json" with { type: "json" };
import modelSchema from "../../../schemas/model.schema.json" with { type: "json" };
import resultSchema from "../../../schemas/result.schema.json" with { type: "json" };
import siteSchema from "../../../schemas/site.schema.json" with { type: "json" };
import sitePolicySchema from "../../../schemas/site-policy.schema.json" with { type: "json" };

export const SCHEMAS = {
  site: siteSchema,
  benchmark: benchmarkSchema,
  model: modelSchema,
  dataset: datasetSchema,
  result: resultSchema,
  "medperf-container-config": medperfContainerConfigSchema,
  mlcube: mlcubeSchema,
  "site-policy": sitePolicySchema,
} as const;

export type SchemaKind = keyof typeof SCHEMAS;
