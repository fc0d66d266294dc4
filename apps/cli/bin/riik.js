#!/usr/bin/env node
// The riik command. Sources are TypeScript; tsx compiles them on load (cached).
import { register } from "tsx/esm/api";

register();
// `riik … | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv);
