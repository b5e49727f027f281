import { Document, isScalar, isSeq, parseDocument, visit } from "yaml";

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

/**
 * Sets (or, with `undefined`, deletes) top-level or nested values of a YAML text, keeping its
 * comments and the layout of everything else; new values are written as `toYaml` writes them.
 */
export function editYaml(
  text: string,
  edits: readonly (readonly [path: (string | number)[], value: unknown])[],
): string {
  const doc = parseDocument(text);
  for (const [path, value] of edits) {
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, doc.createNode(value, { aliasDuplicateObjects: false }));
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
