// The committee staff's data: the body's sessions, categories and units (loaded once), the review
// queue and the assignment queue (server-side paging and filters: a page at a time, never a year).
import { defineStore } from "pinia";
import { allPages, api, call, type Schemas } from "../api";
import { useAuth } from "./auth";

export type Proposal = Schemas["ProposalPublic"];
/** An item as lists give it: the text as an excerpt (content null unless fields=full). */
export type ProposalListItem = Schemas["ProposalListItem"];
export type SimilarItem = Schemas["SimilarItem"];
export type Category = Schemas["CategoryPublic"];
export type SessionInfo = Schemas["SessionPublic"];
export type Unit = Schemas["UnitPublic"];
export type ProposalKind = Schemas["ProposalKind"];
export type ProposalStatus = Schemas["ProposalStatus"];

export const useStaffContext = defineStore("staffContext", {
  state: () => ({
    sessions: [] as SessionInfo[],
    categories: [] as Category[],
    units: [] as Unit[],
    loaded: false,
  }),
  getters: {
    categoryName: (s) => (id: string | null | undefined) => s.categories.find((c) => c.id === id)?.name ?? "",
    sessionName: (s) => (id: string | null | undefined) => s.sessions.find((x) => x.id === id)?.name ?? "",
    unitName: (s) => (id: string | null | undefined) => s.units.find((u) => u.id === id)?.name ?? "",
  },
  actions: {
    async load(force = false) {
      if (this.loaded && !force) return;
      const bodyId = useAuth().bodyId;
      if (!bodyId) return;
      const path = { body_id: bodyId };
      const [sessions, categories] = await Promise.all([
        allPages((cursor) => call(api.GET("/api/v1/bodies/{body_id}/sessions", { params: { path, query: { cursor } } }))),
        allPages((cursor) =>
          call(api.GET("/api/v1/bodies/{body_id}/categories", { params: { path, query: { cursor } } })),
        ),
      ]);
      this.sessions = sessions;
      this.categories = categories.filter((c) => c.active);
      // Units: a few hundred at most in a body; paged by the server, read in pages of 200.
      const units: Unit[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await call(api.GET("/api/v1/units", { params: { query: { limit: 200, cursor } } }));
        units.push(...page.items);
        cursor = page.next_cursor ?? undefined;
        if (!cursor) break;
      }
      this.units = units.filter((u) => u.active);
      this.loaded = true;
    },
  },
});

export interface QueueFilters {
  session_id: string;
  kind: ProposalKind | "";
  category_id: string;
  q: string;
  similar: boolean;
  sort: "created_at" | "-created_at" | "-updated_at";
}

export const PAGE_SIZE = 20;

/** The query of one page of a queue: only the filters that are set. */
export function queueQuery(status: ProposalStatus, f: QueueFilters, bodyId: string | null, cursor?: string) {
  return {
    status: [status],
    sort: f.sort,
    limit: PAGE_SIZE,
    ...(cursor ? { cursor } : {}),
    ...(bodyId ? { body_id: bodyId } : {}),
    ...(f.session_id ? { session_id: f.session_id } : {}),
    ...(f.kind ? { kind: [f.kind] } : {}),
    ...(f.category_id ? { category_id: f.category_id } : {}),
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
    ...(f.similar ? { similar: true } : {}),
  };
}

/** A queue of items in one status, a page at a time; back and forth by the cursors seen. */
function queueStore(id: string, status: ProposalStatus) {
  return defineStore(id, {
    state: () => ({
      filters: { session_id: "", kind: "", category_id: "", q: "", similar: false, sort: "created_at" } as QueueFilters,
      items: [] as ProposalListItem[],
      cursors: [undefined] as (string | undefined)[], // cursors[i]: the cursor of page i
      page: 0,
      next: null as string | null,
      loading: false,
    }),
    actions: {
      async load(page = 0) {
        this.loading = true;
        try {
          const query = queueQuery(status, this.filters, useAuth().bodyId, this.cursors[page]);
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const data = await call(api.GET("/api/v1/proposals", { params: { query: query as any } }));
          this.items = data.items;
          this.next = data.next_cursor ?? null;
          this.page = page;
          this.cursors[page + 1] = this.next ?? undefined;
          this.cursors.length = page + 2;
        } finally {
          this.loading = false;
        }
      },
      search() {
        this.cursors = [undefined];
        return this.load(0);
      },
      nextPage() {
        return this.next ? this.load(this.page + 1) : Promise.resolve();
      },
      prevPage() {
        return this.page > 0 ? this.load(this.page - 1) : Promise.resolve();
      },
      /** Drops items that left the queue (decided) without reloading the page. */
      drop(ids: string[]) {
        this.items = this.items.filter((p) => !ids.includes(p.id));
      },
      /** Puts an item read whole (after a decision) back in its row, as a list item. */
      replace(item: Proposal) {
        const i = this.items.findIndex((p) => p.id === item.id);
        if (i >= 0) this.items.splice(i, 1, { ...item, excerpt: this.items[i].excerpt });
      },
    },
  });
}

export const useReviewQueue = queueStore("reviewQueue", "submitted");
export const useAssignmentQueue = queueStore("assignmentQueue", "registered");

export interface BulkResult {
  id: string;
  label: string;
  ok: boolean;
  message: string;
}

/**
 * Runs one action per item, one after the other (the server's own rules decide each), and says for
 * each whether it was done and if not why; a failure never stops the others.
 */
export async function runBulk<T extends { id: string }>(
  items: T[],
  label: (item: T) => string,
  act: (item: T) => Promise<unknown>,
  onProgress?: (done: number) => void,
): Promise<BulkResult[]> {
  const out: BulkResult[] = [];
  for (const item of items) {
    try {
      await act(item);
      out.push({ id: item.id, label: label(item), ok: true, message: "" });
    } catch (e) {
      out.push({ id: item.id, label: label(item), ok: false, message: e instanceof Error ? e.message : String(e) });
    }
    onProgress?.(out.length);
  }
  return out;
}

/** The item's label in lists: its number once registered, else its title's start. */
export function itemLabel(p: { number_label?: string | null; title: string }): string {
  return p.number_label ? `${p.number_label} ${p.title}` : p.title;
}
