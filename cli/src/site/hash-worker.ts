/**
 * Worker thread of the dataset hash (see tree-hash.ts): hashes the files it claims from the shared
 * work list and posts their digests. Bundled as dist/hash-worker.js (scripts/build.mjs).
 */
import { parentPort, workerData } from "node:worker_threads";
import { hashClaimedFiles, type SharedWork } from "./tree-hash.ts";

const port = parentPort;
if (!port) throw new Error("hash-worker runs only as a worker thread");
hashClaimedFiles(workerData as SharedWork, (message) => port.postMessage(message));
