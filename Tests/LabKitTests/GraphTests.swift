import Foundation
import Testing

@testable import LabKit

@Suite struct GraphTests {
  let topology = try! TopologyParser.parse(minimalTopology)

  @Test func mermaidHasHostsGuestsSegmentsAndColours() {
    let mermaid = MermaidGraph.render(topology)
    #expect(mermaid.hasPrefix("flowchart TB\n"))
    #expect(mermaid.contains("  subgraph kvm1[\"kvm1\"]"))
    #expect(mermaid.contains("    g1([\"g1<br/>10.136.1.5/8\"]) --- kvm1_sw"))
    #expect(mermaid.contains("  seg_lan[[\"lan<br/>10.0.0.0/8 · MTU 1500\"]]"))
    #expect(mermaid.contains("  kvm1 ---|\"osa10 10.131.1.254/8\"| seg_lan"))
    #expect(mermaid.contains("  style seg_lan fill:#1f77b4,color:#fff"))
    // One linkStyle per link: g1's, kvm1's and prod's.
    #expect(mermaid.components(separatedBy: "linkStyle").count - 1 == 3)
  }

  @Test func svgIsOneDocumentWithEveryNodeLabelled() {
    let svg = SVGGraph.render(topology)
    #expect(svg.hasPrefix("<svg xmlns='http://www.w3.org/2000/svg'"))
    #expect(svg.hasSuffix("</svg>\n"))
    for label in ["g1", "kvm1", "prod · 10.0.0.10/8", "lan", "10.0.0.0/8 · MTU 1500", "osa10 10.131.1.254/8"]
    {
      #expect(svg.contains(">\(label)<"), "missing label \(label)")
    }
    #expect(svg.components(separatedBy: "<text").count == svg.components(separatedBy: "</text>").count)
  }

  @Test func committedSeedPictureIsCurrent() throws {
    let lab = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../lab")
      .standardized.path
    let seed = try TopologyParser.load(path: "\(lab)/seed.yaml")
    let committed = try String(contentsOfFile: "\(lab)/seed.svg", encoding: .utf8)
    #expect(committed == SVGGraph.render(seed), "regenerate: routed-lab graph lab/seed.yaml > lab/seed.svg")
  }

  /// The fleets' pictures draw each BGP session once, reflector-client sessions dashed.
  @Test(arguments: [("fleet", 6, 0), ("fleet-rr", 1, 6)])
  func committedFleetPicturesDrawEverySessionOnce(name: String, solid: Int, dashed: Int) throws {
    let lab = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../lab")
      .standardized.path
    let fleet = try TopologyParser.load(path: "\(lab)/\(name).yaml")
    #expect(fleet.bgpSessions.filter { !$0.reflected }.count == solid)
    #expect(fleet.bgpSessions.filter(\.reflected).count == dashed)
    let svg = SVGGraph.render(fleet)
    #expect(svg.components(separatedBy: "<path d='M ").count - 1 == solid + dashed)
    #expect(svg.components(separatedBy: "stroke-dasharray='6 4'").count - 1 == dashed)
    let committed = try String(contentsOfFile: "\(lab)/\(name).svg", encoding: .utf8)
    #expect(committed == svg, "regenerate: routed-lab graph lab/\(name).yaml > lab/\(name).svg")
    let mermaid = MermaidGraph.render(fleet)
    #expect(mermaid.components(separatedBy: "-.-|\"BGP").count - 1 == solid + dashed)
  }
}
