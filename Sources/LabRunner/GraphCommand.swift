import ArgumentParser
import LabKit

extension RoutedLab {
  struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "graph",
      abstract: "Draw the topology: SVG or Mermaid, one colour per subnet, guests and scenarios labelled.",
      discussion: """
        Needs only the topology file, not a running lab. Writes to standard output.

        Examples:
          routed-lab graph lab/seed.yaml > lab/seed.svg
          routed-lab graph lab/seed.yaml --format mermaid
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
      case svg, mermaid
    }

    @Argument(help: "Topology file (YAML).")
    var file: String

    @Option(name: .long, help: "svg or mermaid.")
    var format: Format = .svg

    func run() throws {
      let topology = try TopologyParser.load(path: file)
      print(format == .svg ? SVGGraph.render(topology) : MermaidGraph.render(topology), terminator: "")
    }
  }
}
