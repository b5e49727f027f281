/** The tool version, recorded in result provenance. Kept in step with package.json by a test. */
export const FEDEVAL_VERSION = "0.1.0";
