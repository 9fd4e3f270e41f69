import Testing

@testable import Watch

@Suite struct PrometheusTextTests {
  @Test func rendersHelpTypeAndSamplesWithEscapedLabels() {
    let text = PrometheusText.render([
      MetricFamily(
        "routed_hook_repairs_total", .counter, help: "Repairs\nby kind \\ all",
        samples: [.init([("kind", "drift")], 3), .init([("kind", "a \"quoted\"\nvalue\\")], 0.25)]),
      MetricFamily("routed_hook_guests_managed", .gauge, help: "Guests.", samples: [.init([], 4000)]),
    ])
    #expect(
      text == """
        # HELP routed_hook_repairs_total Repairs\\nby kind \\\\ all
        # TYPE routed_hook_repairs_total counter
        routed_hook_repairs_total{kind="drift"} 3
        routed_hook_repairs_total{kind="a \\"quoted\\"\\nvalue\\\\"} 0.25
        # HELP routed_hook_guests_managed Guests.
        # TYPE routed_hook_guests_managed gauge
        routed_hook_guests_managed 4000

        """)
  }

  @Test func numbersAsPrometheusParsesThem() {
    #expect(PrometheusText.number(1_764_748_800) == "1764748800")
    #expect(PrometheusText.number(0.004) == "0.004")
    #expect(PrometheusText.number(.nan) == "NaN")
    #expect(PrometheusText.number(.infinity) == "+Inf")
    #expect(PrometheusText.number(-.infinity) == "-Inf")
    #expect(PrometheusText.number(1e20) == "1e+20")
  }
}
