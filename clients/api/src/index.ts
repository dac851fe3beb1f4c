// The typed client of the public API (/api/v1), generated from contracts/openapi/public.json.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, paths } from "./schema";
export type Schemas = components["schemas"];
export type ApiClient = Client<paths>;

/** A client for `baseUrl` (…/api/v1); `fetch` lets the app sign, retry and refresh. */
export function createApiClient(baseUrl: string, fetch?: (input: Request) => Promise<Response>): ApiClient {
  return createClient<paths>({ baseUrl, ...(fetch ? { fetch } : {}) });
}
