// Shared by the supervision and administration sections: untyped GET/PUT/PATCH/POST through the
// console's signed client (for reading ETags and sending If-Match), the body the page works on
// (staff and leaders: their own; an administrator picks one), and small formatters.
import { ref, watch } from "vue";
import { api, ApiError, newKey, problemMessage } from "../../api";
import { useAuth } from "../../stores/auth";

type Query = Record<string, string | number | boolean | undefined | null>;

export interface Answer<T> {
  data: T;
  etag: string | null;
}

function clean(query?: Query): Record<string, string | number | boolean> | undefined {
  if (!query) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") out[k] = v;
  return out;
}

type Method = "GET" | "POST" | "PUT" | "PATCH";

/** One call with its ETag; a problem becomes an ApiError with the zh-CN message. */
export async function request<T>(
  method: Method,
  path: string,
  opts: { query?: Query; body?: unknown; headers?: Record<string, string>; raw?: BodyInit; contentType?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (method === "POST" && !headers["Idempotency-Key"]) headers["Idempotency-Key"] = newKey();
  const init: Record<string, unknown> = { params: { query: clean(opts.query) }, headers };
  if (opts.raw !== undefined) {
    init.body = opts.raw;
    init.bodySerializer = (b: unknown) => b;
    headers["Content-Type"] = opts.contentType ?? "text/csv";
  } else if (opts.body !== undefined) init.body = opts.body;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const client = api as any;
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await client[method](`/api/v1${path}`, init);
  } catch {
    throw new ApiError("网络连接失败，请检查网络后重试。", 0, "network");
  }
  if (!result.response.ok) throw problemMessage(result.response.status, result.error as never);
  return { data: result.data as T, etag: result.response.headers.get("ETag") };
}

export async function get<T>(path: string, query?: Query): Promise<T> {
  return (await request<T>("GET", path, { query })).data;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** Every page of a small list (members of a body for a ballot's electorate, units for a picker). */
export async function everything<T>(path: string, query: Query = {}, max = 50): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < max; i++) {
    const page = await get<Page<T>>(path, { ...query, limit: 200, cursor });
    out.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

export interface Body {
  id: string;
  name: string;
  kind: string;
}

/** The body the page is about: the account's own, or (administrators) the one picked, the first CPPCC by default. */
export function useBody() {
  const auth = useAuth();
  const bodies = ref<Body[]>([]);
  const bodyId = ref<string>(auth.bodyId ?? "");
  const ready = ref(false);
  async function load() {
    bodies.value = await everything<Body>("/bodies");
    if (!bodyId.value) bodyId.value = (bodies.value.find((b) => b.kind === "cppcc") ?? bodies.value[0])?.id ?? "";
    ready.value = true;
  }
  const fixed = Boolean(auth.bodyId);
  return { bodies, bodyId, ready, load, fixed };
}

/** Runs `fn` now and whenever `source` changes. */
export function onChange<T>(source: () => T, fn: () => unknown): void {
  watch(source, () => void fn(), { immediate: true });
}

/** Saves a Blob under a file name (the browser's download). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A GET answered as a file (the annual report): the Blob, its type and size. */
export async function download(path: string, query: Query): Promise<Blob> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const client = api as any;
  let result: { data?: Blob; error?: unknown; response: Response };
  try {
    result = await client.GET(`/api/v1${path}`, { params: { query: clean(query) }, parseAs: "blob" });
  } catch {
    throw new ApiError("网络连接失败，请检查网络后重试。", 0, "network");
  }
  if (!result.response.ok) {
    let problem: unknown;
    try {
      problem = JSON.parse(await (result.error as Blob).text());
    } catch {
      problem = undefined;
    }
    throw problemMessage(result.response.status, problem as never);
  }
  return result.data as Blob;
}

export interface Session {
  id: string;
  name: string;
  term: number;
  meeting: number;
}

/** The body's sessions, latest first. */
export async function sessionsOf(bodyId: string): Promise<Session[]> {
  const list = await everything<Session>(`/bodies/${bodyId}/sessions`);
  return [...list].sort((a, b) => b.term - a.term || b.meeting - a.meeting);
}
