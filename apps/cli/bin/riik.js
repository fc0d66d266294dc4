#!/usr/bin/env node
// The riik command, run from its bundle (bundle.mjs: built on first use, rebuilt when a source changes).
import { cliBundle } from "./bundle.mjs";

// `riik … | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import(await cliBundle());
process.exitCode = await main(process.argv);
