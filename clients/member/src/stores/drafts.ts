// Drafts written offline: kept in localStorage and filed when the network is back. Each keeps
// the Idempotency-Key it was first sent with, so a resend after a lost answer never files twice.
import { defineStore } from "pinia";
import { api, ApiError, call, newKey, type Schemas } from "../api";

const KEY = "member.offlineDrafts";
const WIP = "member.draftInProgress";

export interface OfflineDraft {
  key: string;
  body: Schemas["ProposalCreate"];
  savedAt: string;
}

function read(): OfflineDraft[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "[]") as OfflineDraft[];
  } catch {
    return [];
  }
}

export const useDrafts = defineStore("drafts", {
  state: () => ({ pending: read(), syncing: false }),
  actions: {
    persist() {
      localStorage.setItem(KEY, JSON.stringify(this.pending));
    },
    keepOffline(body: Schemas["ProposalCreate"]): OfflineDraft {
      const draft = { key: newKey(), body, savedAt: new Date().toISOString() };
      this.pending.push(draft);
      this.persist();
      return draft;
    },
    /** Files every waiting draft; the number filed. A refused one (4xx) stays for the member to see. */
    async sync(): Promise<number> {
      if (this.syncing || !this.pending.length) return 0;
      this.syncing = true;
      let filed = 0;
      try {
        for (const draft of [...this.pending]) {
          try {
            await call(
              api.POST("/api/v1/proposals", { body: draft.body, headers: { "Idempotency-Key": draft.key } }),
            );
          } catch (e) {
            if (e instanceof ApiError && e.status === 0) break; // still offline
            if (e instanceof ApiError && e.status >= 500) break;
            continue;
          }
          this.pending = this.pending.filter((d) => d.key !== draft.key);
          this.persist();
          filed++;
        }
      } finally {
        this.syncing = false;
      }
      return filed;
    },
  },
});

/** The form being typed, saved on every change: a sign-in that ends mid-form loses nothing. */
export function saveWork(id: string, form: unknown): void {
  localStorage.setItem(`${WIP}.${id}`, JSON.stringify(form));
}
export function loadWork<T>(id: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(`${WIP}.${id}`) ?? "null") as T | null;
  } catch {
    return null;
  }
}
export function clearWork(id: string): void {
  localStorage.removeItem(`${WIP}.${id}`);
}
