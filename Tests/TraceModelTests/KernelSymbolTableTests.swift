import XCTest
@testable import TraceModel

/// `--kallsyms`: the addresses `trace-cmd report` prints for kprobes must name the function that holds them, in
/// both forms a user has at hand (/proc/kallsyms and `trace-cmd report -f`).
final class KernelSymbolTableTests: XCTestCase {
    /// /proc/kallsyms of a 6.1 boot (real lines, trimmed): text, data and module symbols, an alias pair.
    let procKallsyms = """
        ffffffffa8400000 T _text
        ffffffffa8400000 T startup_64
        ffffffffa84f81e0 t __wake_up_common_lock
        ffffffffa84f82b0 T __wake_up
        ffffffffa84f82c0 T __wake_up_bit
        ffffffffa84f8750 T prepare_to_wait
        ffffffffa84f8810 T sched_clock_cpu
        ffffffffa9a1c000 D init_task
        ffffffffc0469430 t lw_waiter_fn\t[lostwake]
        ffffffffc046a360 d lw_run_ops\t[lostwake]
        ffffffffc046b380 b lw_next_id\t[lostwake]
        """

    func testProcKallsymsNamesTheFunctionHoldingAnAddress() throws {
        let t = try KernelSymbolTable(parsing: procKallsyms)
        XCTAssertEqual(t.function(containing: 0xffffffffa84f82b0), "__wake_up")        // a kprobe at +0
        XCTAssertEqual(t.function(containing: 0xffffffffa84f82b4), "__wake_up")        // inside it
        XCTAssertEqual(t.function(containing: 0xffffffffa84f8750), "prepare_to_wait")
        XCTAssertEqual(t.function(containing: 0xffffffffa8400000), "_text")            // first of an alias pair
        XCTAssertEqual(t.function(containing: 0xffffffffc0469500), "lw_waiter_fn")     // module text, [mod] dropped
        XCTAssertNil(t.function(containing: 0xffffffffa83fffff))                       // below every symbol
        XCTAssertNil(t.function(containing: 0xffffffffc0469431 + 0x100000))           // past the last one
        XCTAssertEqual(t.count, 7, "data symbols (D, d, b) are not probe targets")
    }

    func testTraceCmdFunctionListHasNoTypeColumn() throws {
        let t = try KernelSymbolTable(parsing: """
            ffffffffa84d3940 try_to_wake_up
            ffffffffa84d3e80 wake_up_process
            ffffffffc0469430 lw_waiter_fn [lostwake]
            ffffffffc046a360 lw_run_ops [lostwake]
            """)
        XCTAssertEqual(t.function(containing: 0xffffffffa84d3940), "try_to_wake_up")
        XCTAssertEqual(t.function(containing: 0xffffffffc0469431), "lw_waiter_fn")
    }

    func testUnprivilegedKallsymsAndGarbageAreErrorsNamingTheProblem() {
        // Read without CAP_SYSLOG (kptr_restrict), every address prints as zeros.
        XCTAssertThrowsError(try KernelSymbolTable(parsing: "0000000000000000 T _text\n0000000000000000 T __wake_up\n")) {
            XCTAssertTrue("\($0)".contains("every address is 0"), "\($0)")
        }
        XCTAssertThrowsError(try KernelSymbolTable(parsing: "ffffffffa84f82b0 T __wake_up\nnot kallsyms at all\n")) {
            XCTAssertTrue("\($0)".hasPrefix("line 2:"), "\($0)")
        }
        XCTAssertThrowsError(try KernelSymbolTable(parsing: "")) { XCTAssertTrue("\($0)".contains("no symbols")) }
    }
}
