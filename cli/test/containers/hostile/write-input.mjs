// Tries to change its input data.
import { appendFileSync } from "node:fs";

appendFileSync("/mnt/data/data.txt", "tampered");
