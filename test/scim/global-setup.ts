import type { TestProject } from "vitest/node";
import { startScimServer } from "./scim-server";

/** Starts the test SCIM app (in Node, outside workerd) and hands its origin to the tests. */
export default async function setup(project: TestProject) {
  const server = await startScimServer();
  project.provide("scimOrigin", server.origin);
  return () => server.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    scimOrigin: string;
  }
}
