// The committee staff's section (t("staff.…")): review, assignment, requests waiting.
export default {
  menu: { review: "提案审查", assignment: "交办", requests: "待审批申请" },
};
