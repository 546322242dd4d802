import ArgumentParser

/// The `ksleuth` command line: a thin shell over the KSleuth library. Each subcommand lives in its own file under
/// `Commands/`; this file only lists them.
@main
struct KSleuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ksleuth",
        abstract: "Analyze Linux kernel traces and crash reports: what is stuck, why, and is it a known bug.",
        version: "0.1.0",
        subcommands: [Analyze.self, Match.self, Stats.self, Timeline.self, Objects.self, SignaturesCommand.self,
                      Recipe.self, Bugs.self]
    )
}
