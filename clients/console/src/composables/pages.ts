import { computed, reactive, ref } from "vue";

/** Cursor paging for a view that shows one page at a time (ADR 20): the cursor of each page seen so
 * far, so the previous page is the same page again; the server's next_cursor says whether there is
 * a next one. The view loads `cursor` and reports the answer's next_cursor with `loaded`. Reactive:
 * `pages.page` and `pages.cursor` read as plain values, in the script as in the template. */
export function useCursorPages() {
  const cursors = ref<(string | undefined)[]>([undefined]);
  const page = ref(0);
  const next = ref<string | null>(null);
  return reactive({
    page,
    next,
    cursor: computed(() => cursors.value[page.value]),
    loaded(nextCursor: string | null | undefined) {
      next.value = nextCursor ?? null;
    },
    /** Back to the first page (a filter changed). */
    reset() {
      cursors.value = [undefined];
      page.value = 0;
    },
    /** Moves to the next page; false when there is none. */
    forward(): boolean {
      if (!next.value) return false;
      cursors.value = [...cursors.value.slice(0, page.value + 1), next.value];
      page.value += 1;
      return true;
    },
    /** Moves to the previous page; false on the first. */
    back(): boolean {
      if (page.value === 0) return false;
      page.value -= 1;
      return true;
    },
  });
}
