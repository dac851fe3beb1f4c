// Committee staff (提案委): review, assignment, requests waiting.
import type { RouteRecordRaw } from "vue-router";
import "./meta";

const roles = ["staff", "admin"] as const;

export const staffRoutes: RouteRecordRaw[] = [
  {
    path: "staff/review",
    name: "staff-review",
    component: () => import("../views/staff/ReviewView.vue"),
    meta: { roles: [...roles], section: "staff", menu: "staff.menu.review", order: 1 },
  },
  {
    path: "staff/assignment",
    name: "staff-assignment",
    component: () => import("../views/staff/AssignmentView.vue"),
    meta: { roles: [...roles], section: "staff", menu: "staff.menu.assignment", order: 2 },
  },
  {
    path: "staff/requests",
    name: "staff-requests",
    component: () => import("../views/staff/RequestsView.vue"),
    meta: { roles: [...roles], section: "staff", menu: "staff.menu.requests", order: 3 },
  },
  {
    path: "staff/replies",
    name: "staff-replies",
    component: () => import("../views/staff/RepliesView.vue"),
    meta: { roles: [...roles], section: "staff", menu: "staff.menu.replies", order: 4 },
  },
];
