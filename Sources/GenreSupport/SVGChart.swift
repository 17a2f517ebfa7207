import Foundation

/// Small self-contained SVG charts for the HTML reports of `genre eval --report` and `genre tune --report`:
/// grouped bars and lines, with axes, ticks and a legend. No scripts, no external files: a report opens
/// anywhere, offline.
public enum SVGChart {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]
    static let width = 720.0, height = 360.0
    static let left = 64.0, right = 160.0, top = 36.0, bottom = 48.0

    /// Grouped bars: one group per category, one bar per series.
    public static func bars(title: String, categories: [String], series: [Series], yLabel: String) -> String {
        let maximum = niceCeiling(series.flatMap(\.values).filter(\.isFinite).max() ?? 1)
        var out = header(title: title) + axes(maximum: maximum, yLabel: yLabel)
        let plotWidth = width - left - right
        let group = plotWidth / Double(max(categories.count, 1))
        let bar = group * 0.8 / Double(max(series.count, 1))
        for (c, category) in categories.enumerated() {
            for (s, one) in series.enumerated() where c < one.values.count && one.values[c].isFinite {
                let value = one.values[c]
                let h = (height - top - bottom) * value / maximum
                let x = left + Double(c) * group + group * 0.1 + Double(s) * bar
                out += "<rect x=\"\(f(x))\" y=\"\(f(height - bottom - h))\" width=\"\(f(bar * 0.92))\" height=\"\(f(h))\" fill=\"\(color(s))\">"
                    + "<title>\(escape(one.name)) · \(escape(category)): \(String(format: "%.4g", value))</title></rect>"
            }
            out += "<text x=\"\(f(left + (Double(c) + 0.5) * group))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">\(escape(category))</text>"
        }
        return out + legend(series.map(\.name)) + "</svg>"
    }

    /// Lines over x = 1, 2, … (or the given x values), one per series.
    public static func lines(title: String, x: [Double], series: [Series], xLabel: String, yLabel: String) -> String {
        let maximum = niceCeiling(series.flatMap(\.values).filter(\.isFinite).max() ?? 1)
        let xMin = x.min() ?? 0, xMax = max(x.max() ?? 1, xMin + 1)
        var out = header(title: title) + axes(maximum: maximum, yLabel: yLabel)
        func px(_ v: Double) -> Double { left + (width - left - right) * (v - xMin) / (xMax - xMin) }
        func py(_ v: Double) -> Double { height - bottom - (height - top - bottom) * v / maximum }
        for (s, one) in series.enumerated() {
            let points = zip(x, one.values).filter { $0.1.isFinite }.map { "\(f(px($0.0))),\(f(py($0.1)))" }
            out += "<polyline fill=\"none\" stroke=\"\(color(s))\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"><title>\(escape(one.name))</title></polyline>"
        }
        for tick in ticks(xMin, xMax) {
            out += "<text x=\"\(f(px(tick)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">\(label(tick))</text>"
        }
        out += "<text x=\"\(f(left + (width - left - right) / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>"
        return out + legend(series.map(\.name)) + "</svg>"
    }

    static func header(title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">"
            + "<text x=\"\(f(width / 2 - right / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>"
    }

    static func axes(maximum: Double, yLabel: String) -> String {
        var out = "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>"
            + "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>"
        for tick in ticks(0, maximum) {
            let y = height - bottom - (height - top - bottom) * tick / maximum
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
                + "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(label(tick))</text>"
        }
        return out + "<text transform=\"translate(14 \(f((height - bottom + top) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(escape(yLabel))</text>"
    }

    static func legend(_ names: [String]) -> String {
        names.enumerated().map { index, name in
            let y = top + Double(index) * 18
            return "<rect x=\"\(f(width - right + 12))\" y=\"\(f(y))\" width=\"12\" height=\"12\" fill=\"\(color(index))\"/>"
                + "<text x=\"\(f(width - right + 30))\" y=\"\(f(y + 10))\" font-size=\"12\">\(escape(name))</text>"
        }.joined()
    }

    /// About five round ticks from low to high.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let step = niceStep((high - low) / 5)
        guard step > 0, step.isFinite else { return [low] }
        return stride(from: (low / step).rounded(.up) * step, through: high + step * 1e-9, by: step).map { $0 }
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
    }

    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let step = niceStep(value / 5)
        return (value / step).rounded(.up) * step
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func label(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : String(format: "%.3g", v) }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A whole page: a title, a paragraph, and the charts.
    public static func page(title: String, intro: String, sections: [(heading: String, body: String)]) -> String {
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title>"
            + "<style>body{font-family:sans-serif;max-width:800px;margin:2em auto;color:#222}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}</style></head><body>"
            + "<h1>\(escape(title))</h1><p>\(escape(intro))</p>"
            + sections.map { "<h2>\(escape($0.heading))</h2>\($0.body)" }.joined() + "</body></html>\n"
    }
}
