import ArgumentParser
import LabKit

struct GraphCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "graph", abstract: "todo")
  func run() throws {}
}
