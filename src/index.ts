import { app } from "./app";
import { runScheduledImports } from "./imports/scheduler";

export { AppCoordinator } from "./coordinator/app-coordinator";
export { AccessGate } from "./access/access-gate";

export default {
  fetch: app.fetch,
  // The Cron Trigger (every minute) starts the imports whose schedule is due. Awaited, not
  // left to waitUntil, so a failure shows in the run's outcome.
  async scheduled(controller, env, _ctx) {
    const started = await runScheduledImports(env, new Date(controller.scheduledTime));
    if (started.length > 0) console.log(JSON.stringify({ event: "system.import.schedule", started }));
  },
} satisfies ExportedHandler<Env>;
