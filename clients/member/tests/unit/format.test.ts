import { describe, expect, it } from "vitest";
import { charCount, daysUntil, formatDate, formatDateTime, formatMonthDay, statusTone } from "../../src/format";

describe("format", () => {
  it("shows instants as dates and times in Beijing time", () => {
    expect(formatDate("2026-11-30T17:30:00Z")).toBe("2026-12-01");
    expect(formatDateTime("2026-11-30T17:30:00Z")).toBe("2026-12-01 01:30");
    expect(formatDate("2027-06-30")).toBe("2027-06-30");
    expect(formatDate(null)).toBe("");
  });

  it("writes a calendar date as month and day, whatever the device's zone", () => {
    expect(formatMonthDay("2026-12-15")).toBe("12月15日");
    expect(formatMonthDay("2027-01-04")).toBe("1月4日");
    expect(formatMonthDay("not a date")).toBe("not a date");
  });

  it("counts a Chinese character or an emoji as one", () => {
    expect(charCount("关于加装电梯的建议")).toBe(9);
    expect(charCount("电梯🚀")).toBe(3);
    expect(charCount("")).toBe(0);
  });

  it("counts whole days to a deadline in the body's zone", () => {
    const now = new Date("2026-11-30T17:00:00Z"); // already 1 December in Beijing
    expect(daysUntil("2026-12-01", now)).toBe(0);
    expect(daysUntil("2026-12-15", now)).toBe(14);
    expect(daysUntil("2026-11-30", now)).toBe(-1);
  });

  it("gives each status a chip colour", () => {
    expect(statusTone("declined")).toBe("danger");
    expect(statusTone("rehandling")).toBe("warning");
    expect(statusTone("closed")).toBe("success");
    expect(statusTone("registered")).toBe("primary");
  });
});
