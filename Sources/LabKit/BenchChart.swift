/// The bench as an SVG chart like the talk's: per switch kind, relative throughput and relative CPU cost per
/// workload, one bar colour per path, the baseline path as the dashed line at 1.0.
public enum BenchChart {
  static let panelWidth = 620
  static let panelHeight = 260
  static let left = 50
  static let gap = 40
  static let top = 70

  public static func render(_ report: BenchReport) -> String {
    let kinds = report.paths.reduce(into: [String]()) { if !$0.contains($1.switchKind) { $0.append($1.switchKind) } }
    // One colour per path name, the same on every switch kind.
    let names = report.paths.filter { !$0.baseline }.reduce(into: [String]()) {
      if !$0.contains($1.name) { $0.append($1.name) }
    }
    let rowHeight = panelHeight + 110
    let width = left + 2 * (panelWidth + gap)
    let height = top + kinds.count * rowHeight + 20
    var body = [
      SVGGraph.text(x: 20, y: 28, "routed-lab bench \(report.date.prefix(10)): relative to the attached OSA (dashed line = 1.0)", size: 17, bold: true),
    ]
    // Legend.
    var x = 20
    for name in names {
      let label = report.paths.first { $0.name == name }?.label ?? name
      body.append("<rect x='\(x)' y='40' width='12' height='12' fill='\(color(name, in: names))'/>")
      body.append(SVGGraph.text(x: x + 16, y: 51, label, size: 12))
      x += 30 + label.count * 7
    }
    for (row, kind) in kinds.enumerated() {
      let y = top + row * rowHeight
      let paths = report.paths.filter { $0.switchKind == kind && !$0.baseline }
      let baseline = report.paths.first { $0.switchKind == kind && $0.baseline } ?? report.paths.first(where: \.baseline)
      let title = kind == "ovs" ? "Open vSwitch (userspace)" : "Linux bridge"
      for (column, metric) in ["throughput", "CPU cost"].enumerated() {
        let originX = left + column * (panelWidth + gap)
        let ratios: [[Double?]] = report.workloads.map { workload in
          let base = baseline.flatMap { report.cell(workload: workload, path: $0.key)?.median }
          return paths.map { path in
            guard let run = report.cell(workload: workload, path: path.key)?.median, let base else { return nil }
            let (value, reference) = column == 0 ? (run.throughput, base.throughput) : (run.cost, base.cost)
            return reference > 0 ? value / reference : nil
          }
        }
        body += panel(
          x: originX, y: y + 20, title: "\(title): relative \(metric)", workloads: report.workloads,
          paths: paths.map(\.name), names: names, ratios: ratios)
      }
    }
    return
      ([
        "<svg xmlns='http://www.w3.org/2000/svg' width='\(width)' height='\(height)' viewBox='0 0 \(width) \(height)' font-family='Helvetica, Arial, sans-serif'>",
        "<rect width='100%' height='100%' fill='white'/>",
      ] + body + ["</svg>", ""]).joined(separator: "\n")
  }

  static func color(_ name: String, in names: [String]) -> String {
    GraphPalette.colors[(names.firstIndex(of: name) ?? 0) % GraphPalette.colors.count]
  }

  /// One panel: grouped bars per workload on a linear axis from 0 to the largest ratio (at least 1.5).
  static func panel(
    x: Int, y: Int, title: String, workloads: [String], paths: [String], names: [String], ratios: [[Double?]]
  ) -> [String] {
    var out = [SVGGraph.text(x: x, y: y - 6, title, size: 14, bold: true)]
    let largest = ratios.flatMap { $0.compactMap { $0 } }.max() ?? 1
    let top = max((largest * 2).rounded(.up) / 2, 1.5)
    let scale = Double(panelHeight) / top
    out.append("<rect x='\(x)' y='\(y)' width='\(panelWidth)' height='\(panelHeight)' fill='#fafafa' stroke='#ccc'/>")
    var tick = 0.0
    while tick <= top + 1e-9 {
      let tickY = y + panelHeight - Int(tick * scale)
      out.append("<line x1='\(x - 4)' y1='\(tickY)' x2='\(x)' y2='\(tickY)' stroke='#888'/>")
      out.append(SVGGraph.text(x: x - 6, y: tickY + 4, String(format: "%.1f", tick), size: 10, anchor: "end", color: "#555"))
      tick += top > 4 ? 1 : 0.5
    }
    let groupWidth = Double(panelWidth) / Double(max(workloads.count, 1))
    let barWidth = max((groupWidth - 10) / Double(max(paths.count, 1)), 2)
    for (group, workload) in workloads.enumerated() {
      let groupX = Double(x) + Double(group) * groupWidth + 5
      for (index, path) in paths.enumerated() {
        guard let ratio = ratios[group][index] else { continue }
        let barHeight = Int(ratio * scale)
        let barX = Int(groupX + Double(index) * barWidth)
        out.append(
          "<rect x='\(barX)' y='\(y + panelHeight - barHeight)' width='\(max(Int(barWidth) - 1, 1))' height='\(barHeight)' fill='\(color(path, in: names))'><title>\(SVGGraph.escape(workload)) \(SVGGraph.escape(path)): \(String(format: "%.2f", ratio))×</title></rect>"
        )
      }
      let labelX = Int(groupX + groupWidth / 2 - 5)
      out.append(
        "<text x='\(labelX)' y='\(y + panelHeight + 12)' font-size='10' text-anchor='end' fill='#222' transform='rotate(-35 \(labelX) \(y + panelHeight + 12))'>\(SVGGraph.escape(workload))</text>"
      )
    }
    let oneY = y + panelHeight - Int(scale)
    out.append(
      "<line x1='\(x)' y1='\(oneY)' x2='\(x + panelWidth)' y2='\(oneY)' stroke='#000' stroke-dasharray='6 4'/>")
    return out
  }
}
