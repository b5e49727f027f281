import { Document, isScalar, isSeq, visit } from "yaml";

/**
 * Writes governance data as YAML people can review in a pull request: block mappings, short
 * lists of scalars on one line, no anchors or aliases (shared objects are written out twice).
 */
export function toYaml(data: unknown): string {
  const doc = new Document(data, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_, node) {
      if (isSeq(node) && node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
