// Administration: imports, accounts, API keys, the body's rules. Owned by the admin section.
import type { RouteRecordRaw } from "vue-router";
import "./meta";

export const adminRoutes: RouteRecordRaw[] = [
  {
    path: "admin/import",
    name: "admin-import",
    component: () => import("../views/admin/ImportView.vue"),
    meta: { roles: ["admin", "staff"], section: "admin", menu: "admin.menu.import", order: 1 },
  },
  {
    path: "admin/accounts",
    name: "admin-accounts",
    component: () => import("../views/admin/AccountsView.vue"),
    meta: { roles: ["admin"], section: "admin", menu: "admin.menu.accounts", order: 2 },
  },
  {
    path: "admin/api-keys",
    name: "admin-api-keys",
    component: () => import("../views/admin/ApiKeysView.vue"),
    meta: { roles: ["admin"], section: "admin", menu: "admin.menu.apiKeys", order: 3 },
  },
  {
    path: "admin/rules",
    name: "admin-rules",
    component: () => import("../views/admin/RulesView.vue"),
    meta: { roles: ["admin", "staff"], section: "admin", menu: "admin.menu.rules", order: 4 },
  },
];
