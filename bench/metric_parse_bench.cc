// The metrics app's per-record parse: parse_metric (one SAX pass, no document) against
// parse_metric_with_document (a whole nlohmann document, the reading it replaced), over
// the load generator's records with 1% malformed, as brook-bench's metrics scenario feeds.

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "apps/loadgen/generators.h"
#include "apps/metrics/metrics_topology.h"

namespace brook::apps {
namespace {

const std::vector<std::string>& sample_records() {
    static const std::vector<std::string> records = [] {
        generator_options o;
        o.seed = 11;
        o.malformed_ratio = 0.01;
        metrics_generator g(o);
        std::vector<std::string> out;
        for (int i = 0; i < 4096; ++i) {
            out.push_back(g.next().value);
        }
        return out;
    }();
    return records;
}

template <parsed_metric (*Parse)(std::string_view, int64_t)>
void bm_parse_metric(benchmark::State& state) {
    const std::vector<std::string>& records = sample_records();
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(Parse(records[i], 1'700'000'000'000));
        i = (i + 1) % records.size();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_parse_metric<parse_metric>)->Name("bm_parse_metric_sax");
BENCHMARK(bm_parse_metric<parse_metric_with_document>)->Name("bm_parse_metric_document");

} // namespace
} // namespace brook::apps
