import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatScore } from "../../src/format";

describe("formatting", () => {
  it("shows times in the body's zone", () => {
    expect(formatDate("2026-03-01")).toBe("2026-03-01");
    expect(formatDateTime("2026-03-01T16:30:00Z")).toBe("2026-03-02 00:30");
    expect(formatDate("2026-03-01T16:30:00Z")).toBe("2026-03-02");
  });
  it("shows scores as whole percentages", () => {
    expect(formatScore(0.874)).toBe("87%");
    expect(formatScore(null)).toBe("");
  });
});
