// The citizen portal's front end: plain TypeScript and the DOM, bundled by esbuild at server
// start (src/web/bundle.ts). One module per view (views/), the route table (router.ts), the
// frame around the views (shell.ts); this entry asks for the session and wires them.

import type { SessionInfo } from "../web/api-types.ts";
import { api } from "./api.ts";
import { connect, state } from "./app.ts";
import { resetViews, show, startRouting } from "./router.ts";
import { renderPage } from "./shell.ts";

async function start(): Promise<void> {
  try {
    state.session = await api<SessionInfo>("/api/session");
  } catch {
    state.session = { authenticated: false, purpose: "citizen self-service", operatorTokenRequired: false };
  }
  connect({ render: renderPage, show, reset: resetViews });
  await startRouting();
}

void start();
