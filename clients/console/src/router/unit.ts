// Handling units (承办单位): inbox, an assignment's desk, commitments. Owned by the unit section.
import type { RouteRecordRaw } from "vue-router";
import "./meta";

export const unitRoutes: RouteRecordRaw[] = [
  {
    path: "unit/inbox",
    name: "unit-inbox",
    component: () => import("../views/unit/InboxView.vue"),
    meta: { roles: ["unit_staff"], section: "unit", menu: "unit.menu.inbox", order: 1 },
  },
  {
    path: "unit/assignments/:id",
    name: "unit-desk",
    component: () => import("../views/unit/DeskView.vue"),
    props: true,
    meta: { roles: ["unit_staff"], section: "unit" },
  },
  {
    path: "unit/commitments",
    name: "unit-commitments",
    component: () => import("../views/unit/CommitmentsView.vue"),
    meta: { roles: ["unit_staff"], section: "unit", menu: "unit.menu.commitments", order: 2 },
  },
];
