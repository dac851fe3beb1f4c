// The app's one API client: the generated typed client (clients/api) over a fetch that signs
// requests, asks for zh-CN, adds an Idempotency-Key to every POST, and refreshes the access
// token once on a 401 before retrying (the caller never sees an expired token).
import { createApiClient, type Schemas } from "@proposal/api";
import { t } from "./i18n";

export type { Schemas };
export type Proposal = Schemas["ProposalPublic"];
/** An item as lists give it: the text as an excerpt (content null unless fields=full). */
export type ProposalListItem = Schemas["ProposalListItem"];
/** The open round's rating window for a rater: its closing day and the working days left. */
export type RatingWindow = Schemas["RatingWindow"];
export type ProposalStatus = Schemas["ProposalStatus"];
export type Rating = Schemas["Rating"];

export interface TokenSource {
  access(): string | null;
  refresh(): Promise<boolean>; // true when a new access token is in place
  ended(): void; // the sign-in is over (refresh refused): back to the sign-in page
}

let tokens: TokenSource | null = null;
export function useTokens(source: TokenSource): void {
  tokens = source;
}

export function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

async function send(request: Request): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set("Accept-Language", "zh-CN");
  if (request.method === "POST" && !headers.has("Idempotency-Key")) headers.set("Idempotency-Key", newKey());
  const token = tokens?.access();
  if (token && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.clone().arrayBuffer();
  const make = (h: Headers) => new Request(request.url, { method: request.method, headers: h, body, signal: request.signal });
  const first = await fetch(make(headers));
  const isAuthCall = new URL(request.url).pathname.startsWith("/api/v1/auth/");
  if (first.status !== 401 || !tokens || !token || isAuthCall) return first;
  if (!(await tokens.refresh())) {
    tokens.ended();
    return first;
  }
  headers.set("Authorization", `Bearer ${tokens.access()}`);
  return fetch(make(headers)); // same Idempotency-Key: the retry cannot file twice
}

const origin = typeof location !== "undefined" ? location.origin : "http://127.0.0.1";
export const api = createApiClient(origin, send);

export class ApiError extends Error {
  constructor(
    message: string,
    public status: number,
    public code: string,
    public fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Problem {
  code?: string;
  title?: string;
  detail?: string | null;
  errors?: { field?: string | null; message?: string | null }[] | null;
}

/**
 * The message for a problem: the server's own words as they are (it answers in zh-CN because every
 * request says Accept-Language: zh-CN; ADR 19): its detail, the sentence saying what went wrong
 * (激活码与账号不匹配，请核对后重新输入。), and each field's message beside its field. A validation
 * problem's detail only lists the fields' names as the API spells them, so the form gets its title
 * (填写内容有误) there. The app's own text only where the server said nothing usable (no problem
 * body, a failed service: 5xx with the status shown).
 */
export function problemMessage(status: number, problem: Problem | undefined): ApiError {
  const code = problem?.code ?? (status === 429 ? "rate_limited" : status >= 500 ? "internal_error" : "unknown");
  const fields: Record<string, string> = {};
  for (const e of problem?.errors ?? []) {
    if (e.field) fields[e.field.replace(/^body\./, "")] = e.message ?? "";
  }
  const own = code === "validation_failed" ? problem?.title || problem?.detail : problem?.detail || problem?.title;
  let message = own || (code === "rate_limited" ? t("errors.rate_limited") : t("errors.unknown"));
  if (status >= 500 && code !== "internal_error") message = t("errors.server", { code: status });
  return new ApiError(message, status, code, fields);
}

/** Unwraps an openapi-fetch result: the data, or an ApiError with the zh-CN message. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(t("errors.network"), 0, "network");
  }
  if (result.response.ok) return result.data as T;
  throw problemMessage(result.response.status, (result.error ?? undefined) as Problem | undefined);
}

/** Every page of a cursor-paged list (small lists: counts on the home screen). */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor?: string | null }>,
  max = 10,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < max; i++) {
    const p = await page(cursor);
    out.push(...p.items);
    if (!p.next_cursor) break;
    cursor = p.next_cursor;
  }
  return out;
}
