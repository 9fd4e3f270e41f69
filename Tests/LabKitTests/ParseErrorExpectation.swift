import Foundation
import Testing

@testable import LabKit

/// One edit of a valid topology and the exact error the parser must give for it.
typealias ParseErrorCase = (replace: String, with: String, error: String)

/// Applies `testCase` to `topology` and expects `TopologyParser` to fail with exactly its error text.
func expectParseError(in topology: String, _ testCase: ParseErrorCase, index: Int) {
  #expect(topology.contains(testCase.replace), "case \(index) does not apply")
  let text = topology.replacingOccurrences(of: testCase.replace, with: testCase.with)
  #expect {
    _ = try TopologyParser.parse(text)
  } throws: { error in
    let description = (error as? TopologyError)?.description ?? "\(error)"
    #expect(description == testCase.error)
    return description == testCase.error
  }
}
