// The word count's test, through the topology test driver (no broker): every line's words
// are counted, case-insensitively, and each update carries the word's running count.

#include <brook/test_driver.h>
#include <cstdint>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "word_count_topology.h"

int main() {
    using namespace brook;
    topology_test_driver driver(
        word_count_topology("lines", "word-counts"),
        {{"application.id", "word-count-test"}, {"statestore.cache.max.bytes", "0"}});
    auto lines = driver.create_input_topic<std::string, std::string>("lines");
    auto counts = driver.create_output_topic<std::string, int64_t>("word-counts");

    lines.pipe_input("", "Hello, Kafka!");
    lines.pipe_input("", "hello brook");
    const std::vector<std::pair<std::string, int64_t>> want{
        {"hello", 1}, {"kafka", 1}, {"hello", 2}, {"brook", 1}};
    std::vector<std::pair<std::string, int64_t>> got;
    for (const auto& kv : counts.read_key_values_to_list()) {
        got.emplace_back(kv.key, kv.value);
    }
    if (got != want) {
        std::cerr << "word_count_test: got";
        for (const auto& [word, n] : got) {
            std::cerr << ' ' << word << '=' << n;
        }
        std::cerr << ", want hello=1 kafka=1 hello=2 brook=1\n";
        return 1;
    }
    std::cout << "word_count_test: ok\n";
    return 0;
}
