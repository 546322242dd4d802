import TraceModel

// TEMPORARY stand-in for the lead's FtraceTextReader (same public API), so that the analyses can be exercised on
// real text traces before the real reader lands on main. Deleted when main is merged. Handles only tracefs text
// (`comm-pid [cpu] flags ts: name: payload`), ` => ` stack lines and `CPU:N [LOST M EVENTS]`.
public struct FtraceTextReader: TraceSource {
    var bytes: [UInt8]
    var done = false
    let name: String
    public var description = TraceDescription()

    public init(path: String) throws {
        name = path
        var data: [UInt8] = []
        guard let f = fopen(path == "-" ? "/dev/stdin" : path, "rb") else {
            throw TraceInputError(path: path, message: "cannot open")
        }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        bytes = data
        description.format = "ftrace-text (stub)"
    }

    public init(text: String, name: String = "<memory>") { self.init(bytes: Array(text.utf8), name: name) }
    public init(bytes: [UInt8], name: String = "<memory>") {
        self.bytes = bytes
        self.name = name
        description.format = "ftrace-text (stub)"
    }

    public mutating func nextBatch() throws -> EventBatch? {
        if done { return nil }
        done = true
        let storage = ByteStorage(bytes: bytes)
        var interner = ByteInterner()
        var events: [Event] = []
        var gaps: [TraceGap] = []
        var counts = LineCounts()
        var lastByPid: [Int32: Int] = [:]
        var stackOwner = -1
        var stackStart = -1
        var lineNo = 0
        var pos = 0
        let n = bytes.count
        func closeStack(_ end: Int) {
            if stackOwner >= 0 && stackStart >= 0 && end > stackStart {
                events[stackOwner].kernelStack = ByteSpan(start: stackStart, count: end - stackStart)
            }
            stackOwner = -1; stackStart = -1
        }
        while pos < n {
            lineNo += 1
            var end = pos
            while end < n && bytes[end] != 10 { end += 1 }
            let line = Array(bytes[pos..<end])
            let lineStart = pos
            pos = end + 1
            counts.lines += 1
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix(" => ") {
                counts.stackLines += 1
                if stackOwner >= 0 && stackStart < 0 { stackStart = lineStart }
                continue
            }
            if stackStart >= 0 || stackOwner >= 0 { closeStack(lineStart) }
            if text.hasPrefix("#") || text.trimmingPrefixSpaces.isEmpty { counts.headerLines += 1; continue }
            if text.hasPrefix("CPU:") && text.contains("LOST") {
                let cpu = Int32(text.dropFirst(4).prefix(while: { $0.isNumber })) ?? 0
                gaps.append(TraceGap(kind: .lost, cpu: cpu, lostEvents: nil, lineNumber: lineNo,
                                     byteOffset: Int64(lineStart), beforeEvent: events.count,
                                     after: events.last?.timestamp ?? Event.unknownTimestamp))
                counts.lostMarkerLines += 1
                continue
            }
            // [cpu]
            guard let lb = line.firstIndex(of: UInt8(ascii: "[")), let rb = line[lb...].firstIndex(of: UInt8(ascii: "]")),
                  let cpu = Int32(String(decoding: line[(lb + 1)..<rb], as: UTF8.self)) else {
                counts.unparsedLines += 1; continue
            }
            var left = String(decoding: line[..<lb], as: UTF8.self).trimmingSpaces
            if left.hasSuffix(")"), let p = left.lastIndex(of: "(") { left = String(left[..<p]).trimmingSpaces }
            guard let dash = left.lastIndex(of: "-"), let pid = Int32(left[left.index(after: dash)...]) else {
                counts.unparsedLines += 1; continue
            }
            let comm = String(left[..<dash])
            // after ]: flags? timestamp: name: payload
            let rest = line[(rb + 1)...]
            guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { counts.unparsedLines += 1; continue }
            let pre = String(decoding: rest[..<colon], as: UTF8.self).split(separator: " ")
            guard let tsText = pre.last, let dot = tsText.firstIndex(of: ".") else { counts.unparsedLines += 1; continue }
            let sec = Int64(tsText[..<dot]) ?? 0
            var fracText = String(tsText[tsText.index(after: dot)...])
            while fracText.count < 9 { fracText += "0" }
            let ts = sec * 1_000_000_000 + (Int64(fracText) ?? 0)
            var i = colon + 1
            while i < end - lineStart + lineStart && i < line.count && line[i] == UInt8(ascii: " ") { i += 1 }
            guard let c2 = line[i...].firstIndex(of: UInt8(ascii: ":")) ?? (line[i...].starts(with: Array("<stack trace>".utf8)) ? line.count : nil) else {
                counts.unparsedLines += 1; continue
            }
            let nameBytes = Array(line[i..<c2])
            if nameBytes == Array("<stack trace>".utf8) {
                counts.stackLines += 1
                stackOwner = lastByPid[pid] ?? -1
                continue
            }
            var p = c2 + 1
            while p < line.count && line[p] == UInt8(ascii: " ") { p += 1 }
            let payload = ByteSpan(start: lineStart + p, count: line.count - p)
            var kind = EventKind.tracepoint
            if p < line.count && line[p] == UInt8(ascii: "(") {
                let ps = String(decoding: line[p...], as: UTF8.self)
                if let close = ps.firstIndex(of: ")") {
                    let inner = ps[..<close]
                    if inner.contains(" <- ") { kind = .kretprobe } else if inner.contains("+0x") { kind = .kprobe }
                }
            }
            let nameSym = nameBytes.withUnsafeBytes { interner.intern($0.baseAddress!, $0.count) }
            let commSym = interner.intern(comm)
            events.append(Event(timestamp: ts, lineNumber: lineNo, byteOffset: Int64(lineStart), cpu: cpu, pid: pid,
                                comm: commSym, name: nameSym, kind: kind, payload: payload))
            lastByPid[pid] = events.count - 1
            counts.eventLines += 1
        }
        closeStack(n)
        return EventBatch(storage: storage, events: events, gaps: gaps, symbols: interner.table, counts: counts)
    }
}

private extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
    var trimmingPrefixSpaces: Substring {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" || s.first == "\r" { s = s.dropFirst() }
        return s
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
