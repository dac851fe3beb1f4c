// All of the console's text (zh-CN is the only locale), one module per section so each section's
// owner edits only their own file: src/locales/zh-CN/<section>.ts, each a top-level key.
import admin from "./zh-CN/admin";
import common from "./zh-CN/common";
import staff from "./zh-CN/staff";
import supervision from "./zh-CN/supervision";
import unit from "./zh-CN/unit";

export default { ...common, staff, unit, supervision, admin };
