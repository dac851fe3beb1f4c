// What a console route may say about itself; the shell builds its menu from these.
import "vue-router";
import type { Role } from "../api";

export type Section = "staff" | "unit" | "supervision" | "admin";

declare module "vue-router" {
  interface RouteMeta {
    /** Open without signing in (the sign-in page). */
    public?: boolean;
    /** Who may open it; absent: anyone signed in. */
    roles?: Role[];
    /** The menu entry's i18n key; absent: not in the menu (e.g. a detail page). */
    menu?: string;
    /** The menu group it belongs to. */
    section?: Section;
    /** Position within its group. */
    order?: number;
  }
}

/** The console's users: members use the phone app. */
export const CONSOLE_ROLES: Role[] = ["staff", "leader", "unit_staff", "admin"];
