/// Renders test rows as a fixed-width text table: one row per expectation, pass/fail and what was measured.
public enum ResultTable {
  public static let headers = ["PHASE", "SCN", "EXPECTATION", "RESULT", "MEASURED"]

  /// The table with a summary line (passed, failed, rows).
  public static func render(_ rows: [TestRunner.Row]) -> String {
    let cells = rows.map { row in
      [row.phase, row.scenario, row.name, row.passed ? "pass" : "FAIL", row.measured]
    }
    var widths = headers.map(\.count)
    for line in cells {
      for (index, cell) in line.enumerated().dropLast() { widths[index] = max(widths[index], cell.count) }
    }
    func format(_ line: [String]) -> String {
      line.enumerated().map { index, cell in
        index == line.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }
    var lines = [format(headers)]
    lines += cells.map(format)
    let failed = rows.filter { !$0.passed }.count
    lines.append("")
    lines.append("\(rows.count - failed) passed, \(failed) failed, \(rows.count) rows")
    return lines.joined(separator: "\n")
  }
}
