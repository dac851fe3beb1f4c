// One action at a time: a button bound to run() does nothing while its request is in flight, and a
// retry of the same attempt reuses its Idempotency-Key, so a double click never acts twice.
import { ref } from "vue";
import { ApiError, newKey } from "../api";

export function useAction<A extends unknown[], R>(fn: (key: string, ...args: A) => Promise<R>) {
  const busy = ref(false);
  const error = ref<ApiError | null>(null);
  async function run(...args: A): Promise<R | undefined> {
    if (busy.value) return undefined;
    busy.value = true;
    error.value = null;
    try {
      return await fn(newKey(), ...args);
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e), 0, "unknown");
      return undefined;
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, run };
}

/** The server's field errors by form field (problem+json "errors": body.note → note). */
export function fieldError(error: ApiError | null, field: string): string {
  return error?.fields[field] ?? "";
}
