// The rules of an assignment form, checked before sending (the server checks them again).
export interface UnitLine {
  unit_id: string;
  role: "lead" | "co" | "separate";
}

/** null when the units can be sent; else the i18n key (under staff.assignment) of what is wrong. */
export function checkUnits(lines: UnitLine[]): "unitsRequired" | "leadRequired" | null {
  const picked = lines.filter((l) => l.unit_id);
  if (!picked.length || picked.length !== lines.length) return "unitsRequired";
  if (new Set(picked.map((l) => l.unit_id)).size !== picked.length) return "unitsRequired";
  const separate = picked.filter((l) => l.role === "separate").length;
  if (separate) return separate === picked.length ? null : "leadRequired";
  return picked.filter((l) => l.role === "lead").length === 1 ? null : "leadRequired";
}
