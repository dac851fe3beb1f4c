import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ProposalListItem } from "../../src/api";
import { problemMessage, useTokens } from "../../src/api";
import { useAuth } from "../../src/stores/auth";
import { useDrafts } from "../../src/stores/drafts";
import { homeCounts, listedInvitations, openInvitations } from "../../src/stores/home";
import { validateDraft } from "../../src/stores/validate";

const ME = "m-1";
// An item as the lists give it (home counts and invitations are worked out from lists).
function item(over: Partial<ProposalListItem>): ProposalListItem {
  return {
    id: Math.random().toString(16), body_id: "b", session_id: "s", kind: "joint", status: "draft", title: "t",
    content: null, excerpt: "c", cosigners: [], handling_units: [], merged_ids: [], key: false, version: 1,
    created_at: "2026-11-01T00:00:00Z", updated_at: "2026-11-01T00:00:00Z", lead_member_id: ME,
    ...over,
  } as ProposalListItem;
}
function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}
const tokens = (access: string, refresh: string) => ({
  access_token: access, refresh_token: refresh, token_type: "bearer", expires_in: 900, refresh_expires_in: 86400,
  account: { id: "a", username: "w003", display_name: "张三", role: "member", member_id: ME, body_id: "b", unit_id: null },
});

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
});
afterEach(() => vi.unstubAllGlobals());

describe("home counts", () => {
  it("counts open invitations, replies to rate and own drafts", () => {
    const now = new Date("2026-11-10T00:00:00Z");
    const invite = (status: string, deadline: string) =>
      item({ lead_member_id: "other", cosigners: [{ id: "c", member_id: ME, member_name: "我", proposal_id: "p", status, deadline } as never] });
    const drafts = [invite("invited", "2026-11-20T00:00:00Z"), invite("invited", "2026-11-01T00:00:00Z"), invite("accepted", "2026-11-20T00:00:00Z"), item({})];
    expect(openInvitations(drafts, ME, now)).toHaveLength(1);
    const mine = [item({}), item({ status: "replied" }), item({ status: "replied", lead_member_id: "other" }), item({ status: "registered" })];
    expect(homeCounts(mine, drafts, ME, now)).toEqual({ invitations: 1, toRate: 1, drafts: 1 });
  });

  it("lists open invitations first, then those past their deadline as expired", () => {
    const now = new Date("2026-11-10T00:00:00Z");
    const invite = (status: string, deadline: string, title: string) =>
      item({ title, lead_member_id: "other", cosigners: [{ id: "c", member_id: ME, member_name: "我", proposal_id: "p", status, deadline } as never] });
    const drafts = [
      invite("invited", "2026-11-01T00:00:00Z", "old"),
      invite("invited", "2026-11-20T00:00:00Z", "later"),
      invite("invited", "2026-11-09T23:59:59Z", "just expired"),
      invite("invited", "2026-11-12T00:00:00Z", "sooner"),
      invite("accepted", "2026-11-20T00:00:00Z", "answered"),
      invite("invited", "2026-11-20T00:00:00Z", "submitted"),
    ];
    drafts[5]!.status = "submitted";
    expect(listedInvitations(drafts, ME, now).map((i) => [i.item.title, i.expired])).toEqual([
      ["sooner", false],
      ["later", false],
      ["just expired", true],
      ["old", true],
    ]);
  });
});

describe("draft validation", () => {
  const form = { body_id: "b", session_id: "s", kind: "individual", category_id: "", group_name: "", title: "案由", content: "正文" };
  it("accepts a complete draft", () => expect(validateDraft(form)).toEqual({}));
  it("names each missing field", () => {
    expect(validateDraft({ ...form, title: " ", content: "", session_id: "" })).toEqual({
      title: "draft.required.title", content: "draft.required.content", session_id: "draft.required.session",
    });
    expect(validateDraft({ ...form, kind: "group" })).toEqual({ group_name: "draft.required.groupName" });
    expect(validateDraft({ ...form, title: "字".repeat(201) })).toHaveProperty("title");
  });
});

describe("problem messages", () => {
  it("shows the server's words as they are (it answers in zh-CN), field errors beside their fields", () => {
    const e = problemMessage(422, {
      code: "validation_failed",
      title: "填写内容有误",
      detail: "以下字段填写有误：title。",
      errors: [{ field: "title", message: "最多 200 个字符" }],
    });
    expect(e.message).toBe("填写内容有误");
    expect(e.fields).toEqual({ title: "最多 200 个字符" });
    expect(problemMessage(401, { code: "invalid_credentials", title: "账号或密码错误", detail: "账号或密码错误。" }).message).toBe(
      "账号或密码错误。",
    );
    expect(problemMessage(409, { code: "brand_new", title: "Brand New" }).message).toBe("Brand New");
    // A use case's own problem on one field: its sentence, not the bare title (a wrong account
    // name gets the same answer as a wrong code, so "激活码不正确" alone would mislead).
    const code = problemMessage(422, {
      code: "invalid_activation_code",
      title: "激活码不正确",
      detail: "激活码与账号不匹配，请核对后重新输入。",
      errors: [{ field: "code", message: "激活码与账号不匹配，请核对后重新输入。" }],
    });
    expect(code.message).toBe("激活码与账号不匹配，请核对后重新输入。");
    expect(code.fields).toEqual({ code: "激活码与账号不匹配，请核对后重新输入。" });
  });
  it("uses its own words only where the server said nothing usable, and names a server failure", () => {
    expect(problemMessage(503, { code: "upstream_unavailable", detail: "服务暂时不可用" }).message).toBe(
      "服务暂时不可用，请稍后重试。（503）",
    );
    expect(problemMessage(429, undefined).message).toBe("操作过于频繁，请稍后再试。");
    expect(problemMessage(400, undefined).message).toBe("操作失败，请重试。");
  });
});

describe("auth store", () => {
  it("keeps the sign-in across reloads and refreshes once for concurrent callers", async () => {
    const fetch = vi.fn(async (req: Request) => {
      expect(new URL(req.url).pathname).toBe("/api/v1/auth/refresh");
      return json(200, tokens("a2", "r2"));
    });
    vi.stubGlobal("fetch", fetch);
    const auth = useAuth();
    auth.keep(tokens("a1", "r1") as never);
    expect(JSON.parse(localStorage.getItem("member.auth")!).access).toBe("a1");
    const [a, b] = await Promise.all([auth.refresh(), auth.refresh()]);
    expect([a, b]).toEqual([true, true]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(auth.saved?.access).toBe("a2");
    expect(auth.saved?.refresh).toBe("r2");
  });

  it("reports an ended sign-in when the refresh is refused", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(401, { code: "unauthorized" })));
    const auth = useAuth();
    auth.keep(tokens("a1", "r1") as never);
    expect(await auth.refresh()).toBe(false);
  });
});

describe("offline drafts", () => {
  it("files each waiting draft once, with the key it was saved under", async () => {
    const keys: string[] = [];
    let online = false;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (req: Request) => {
        if (!online) throw new TypeError("Failed to fetch");
        keys.push(req.headers.get("Idempotency-Key")!);
        return json(201, item({}));
      }),
    );
    useTokens({ access: () => null, refresh: async () => false, ended: () => undefined });
    const drafts = useDrafts();
    const saved = drafts.keepOffline({ session_id: "s", kind: "individual", title: "t", content: "c" });
    expect(await drafts.sync()).toBe(0); // still offline: kept
    expect(drafts.pending).toHaveLength(1);
    online = true;
    expect(await drafts.sync()).toBe(1);
    expect(keys).toEqual([saved.key]);
    expect(drafts.pending).toHaveLength(0);
    expect(JSON.parse(localStorage.getItem("member.offlineDrafts")!)).toEqual([]);
  });
});
