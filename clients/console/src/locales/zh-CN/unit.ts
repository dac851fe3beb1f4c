// The unit section's text (t("unit.…")); owned by that section.
export default {
  menu: { inbox: "待办交办", commitments: "承诺事项" },
};
