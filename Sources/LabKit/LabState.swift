/// Finds the running lab(s) and their topology from the state directory, for commands run without a file.
public enum LabState {
  /// The topology a lab was brought up with, as copied by `up`.
  public static func topology(lab: String, stateRoot: String = LabNames.defaultStateRoot) throws -> Topology {
    let names = LabNames(lab: lab, stateRoot: stateRoot)
    guard let text = FileSystem.read(names.topologyCopy) else {
      throw LabError("lab \(lab) has no recorded topology under \(names.labDirectory); is it up?")
    }
    let base = FileSystem.read(names.sourceRecord) ?? "."
    let override = try FileSystem.read(names.switchOverrideRecord).flatMap(SwitchOverride.init(recorded:))
    return try TopologyParser.parse(text, file: names.topologyCopy, baseDirectory: base, override: override)
  }

  /// The one lab that is up, or the one named; an error when it is ambiguous or none is up.
  public static func resolveLab(_ requested: String?, stateRoot: String = LabNames.defaultStateRoot) throws
    -> String
  {
    if let requested { return requested }
    let labs = Journal.labs(stateRoot: stateRoot)
    guard labs.count == 1, let lab = labs.first else {
      throw LabError(
        labs.isEmpty
          ? "no lab is up (nothing under \(stateRoot))"
          : "several labs are up (\(labs.joined(separator: ", "))); pass --lab")
    }
    return lab
  }
}
