// The supervision/statistics/ballots section's text (t("supervision.…")); owned by that section.
export default {
  menu: { boards: "督办看板", keyItems: "重点提案", statistics: "统计分析", ballots: "民主测评" },
};
