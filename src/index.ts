import { app } from "./app";

export { AppCoordinator } from "./coordinator/app-coordinator";

export default {
  fetch: app.fetch,
  // Scheduled imports arrive with the imports issue; until then a tick has nothing to do.
  async scheduled() {},
} satisfies ExportedHandler<Env>;
