// The administration section's text (t("admin.…")); owned by that section.
export default {
  menu: { import: "数据导入", accounts: "账号与角色", apiKeys: "接口密钥", rules: "规则配置" },
};
