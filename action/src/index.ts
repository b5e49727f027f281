// The bundled entry (action/dist/index.js) that the runner starts.
import { main } from "./main.ts";

await main();
