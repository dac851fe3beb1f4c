import { describe, expect, it } from "vitest";
import { allowed } from "../../src/router";
import { staffRoutes } from "../../src/router/staff";
import zhCN from "../../src/locales/zh-CN";

describe("who may open a page", () => {
  it("keeps members out of the console and a role to its own pages", () => {
    expect(allowed({ meta: {} }, "member")).toBe(false);
    expect(allowed({ meta: {} }, "staff")).toBe(true);
    expect(allowed({ meta: { roles: ["unit_staff"] } }, "staff")).toBe(false);
    expect(allowed({ meta: { roles: ["unit_staff"] } }, "unit_staff")).toBe(true);
    expect(allowed({ meta: {} }, null)).toBe(false);
  });

  it("gives the committee staff, not the units, the page that sends replies back", () => {
    const replies = staffRoutes.find((r) => r.name === "staff-replies");
    expect(replies?.meta?.menu).toBe("staff.menu.replies");
    expect(allowed(replies as { meta: { roles?: never[] } }, "staff")).toBe(true);
    expect(allowed(replies as { meta: { roles?: never[] } }, "unit_staff")).toBe(false);
    expect(zhCN.staff.menu.replies).toBe("答复审核");
  });
});

describe("the locale", () => {
  it("merges every section's module under its own key", () => {
    expect(zhCN.app.title).toBe("提案办理工作台");
    for (const section of ["staff", "unit", "supervision", "admin"] as const) expect(zhCN[section]).toBeTypeOf("object");
  });
});
