// Starts processes without bound, each one staying alive.
import { spawn } from "node:child_process";

let started = 0;
function more() {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
  child.on("spawn", () => {
    started++;
    console.log(`started ${started}`);
    setImmediate(more);
  });
}
more();
