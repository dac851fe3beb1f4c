// The query of one page of a staff queue: the order chosen, and only the filters that are set.
import { describe, expect, it } from "vitest";
import { queueQuery, type QueueFilters } from "../../src/stores/staff";

const none: QueueFilters = { session_id: "", kind: "", category_id: "", q: "", similar: false, sort: "created_at" };

describe("queueQuery", () => {
  it("asks for the status, the order and a page, nothing unset", () => {
    expect(queueQuery("submitted", none, null)).toEqual({ status: ["submitted"], sort: "created_at", limit: 20 });
  });

  it("passes the filters that are set, the chosen order and the page's cursor", () => {
    const f: QueueFilters = { ...none, kind: "joint", q: " 养老 ", similar: true, sort: "-updated_at" };
    expect(queueQuery("registered", f, "body-1", "c2")).toEqual({
      status: ["registered"],
      sort: "-updated_at",
      limit: 20,
      cursor: "c2",
      body_id: "body-1",
      kind: ["joint"],
      q: "养老",
      similar: true,
    });
  });
});
