import { describe, expect, it } from "vitest";
import {
  breakdownSeries,
  csvLines,
  daysLeftText,
  daysLeftType,
  rateText,
  reportFileName,
  scoreText,
  turnoutText,
  weightsComplete,
  weightText,
} from "../../src/views/supervision/figures";

describe("supervision and statistics figures", () => {
  it("words working days left", () => {
    expect(daysLeftText(3)).toBe("剩 3 个工作日");
    expect(daysLeftText(0)).toBe("今日到期");
    expect(daysLeftText(-5)).toBe("超期 5 个工作日");
    expect([daysLeftType(-1), daysLeftType(2), daysLeftType(10)]).toEqual(["danger", "warning", "info"]);
  });
  it("writes rates, weights and scores", () => {
    expect(rateText({ numerator: 19, denominator: 20, rate: 0.95, percent: "95%" })).toBe("95%（19/20）");
    expect(rateText({ numerator: 1, denominator: 3 })).toBe("33.3%（1/3）");
    expect(rateText({ numerator: 0, denominator: 0 })).toBe("—");
    expect(weightText(0.4)).toBe("40%");
    expect(weightsComplete({ a: 0.4, b: 0.3, c: 0.2, d: 0.1 })).toBe(true);
    expect(weightsComplete({ a: 0.4, b: 0.3, c: 0.2 })).toBe(false);
    expect(scoreText(0.875)).toBe("87.5");
    expect(scoreText(null)).toBe("—");
  });
  it("orders a breakdown by registered items, largest first", () => {
    const s = breakdownSeries({ 经济: { filed: 15, registered: 15 }, 城建: { filed: 30, registered: 26 } });
    expect(s).toEqual({ names: ["城建", "经济"], filed: [30, 15], registered: [26, 15] });
  });
  it("says turnout, names report files, finds a CSV's lines by row", () => {
    expect(turnoutText(12, 36)).toBe("已参评 12 / 36 人（33.3%）");
    expect(turnoutText(null, 0)).toBe("已参评 0 / 0 人（0.0%）");
    expect(reportFileName("政协 武汉市委员会", "十四届三次会议", "pdf")).toBe("政协武汉市委员会十四届三次会议提案办理情况通报.pdf");
    const lines = csvLines("\uFEFF姓名,编号\r\n李雷,A1\n韩梅梅,A2");
    expect([lines.get(1), lines.get(3)]).toEqual(["姓名,编号", "韩梅梅,A2"]);
  });
});
