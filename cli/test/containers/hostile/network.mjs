// Tries the network: lists its interfaces, then connects to the host given as argument.
// Usage: network.mjs <host> <port>
import { connect } from "node:net";
import { networkInterfaces } from "node:os";

console.log(`interfaces: ${Object.keys(networkInterfaces()).join(",")}`);
const socket = connect(Number(process.argv[3]), process.argv[2]);
socket.on("connect", () => {
  console.log("connected");
  socket.end("smuggled data");
});
