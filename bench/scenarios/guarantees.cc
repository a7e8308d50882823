// brook-bench-guarantees: the windowed count (1-second tumbling windows, emit on close,
// RocksDB store with changelog) over the same preloaded input, once under at_least_once
// and once under exactly_once_v2, both with commit.interval.ms=100, side by side in one
// run against a real broker. Prints records/s for each and the ratio eos/alos.
//
//   brook-bench-guarantees BOOTSTRAP [RECORDS] [PARTITIONS]
//
// Each system starts from the beginning of the input with its own application id and an
// empty state directory; the clock runs from start() until its committed offsets reach
// the end of the input. Timing is for the benchmark report only, never a test verdict.

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "operators/stream_builder.h"

namespace {

using namespace brook;
using namespace std::chrono_literals;

int64_t sum_committed(const std::string& bootstrap, const std::string& group,
                      const std::string& topic, int partitions) {
    kafka::consumer c(kafka::client_config{{"bootstrap.servers", bootstrap}, {"group.id", group}});
    std::vector<std::tuple<std::string, int32_t, int64_t>> entries;
    for (int p = 0; p < partitions; ++p) {
        entries.emplace_back(topic, p, RD_KAFKA_OFFSET_INVALID);
    }
    auto list = kafka::make_partition_list(entries);
    c.committed(*list, 10s);
    int64_t sum = 0;
    for (int i = 0; i < list->cnt; ++i) {
        sum += std::max<int64_t>(0, list->elems[i].offset);
    }
    return sum;
}

double run(const std::string& bootstrap, const std::string& input, int partitions, int64_t total,
           const std::string& guarantee, const std::string& tag) {
    const std::string app_id = fmt::format("bench-{}-{}-{}", guarantee, ::getpid(), tag);
    const auto state_dir = std::filesystem::temp_directory_path() / app_id;
    stream_builder builder;
    builder.stream<std::string, std::string>({input})
        .group_by_key()
        .windowed_by(time_windows::of_size_with_no_grace(1s))
        .emit_strategy(emit_strategy::on_window_close())
        .count(materialized<std::string, int64_t>::as("counts"))
        .to_stream()
        .map([](const windowed<std::string>& w, const int64_t& n) {
            return key_value<std::string, std::string>{w.key, std::to_string(n)};
        })
        .to(input + "-out");
    const topology topo = builder.build();
    kafka_streams app(topo, streams_config({{"application.id", app_id},
                                            {"bootstrap.servers", bootstrap},
                                            {"state.dir", state_dir.string()},
                                            {"processing.guarantee", guarantee},
                                            {"commit.interval.ms", "100"}}));
    const auto started = std::chrono::steady_clock::now();
    app.start();
    while (sum_committed(bootstrap, app_id, input, partitions) < total) {
        if (app.state() == streams_state::error) {
            throw std::runtime_error(app.error_reason());
        }
        std::this_thread::sleep_for(100ms);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    app.close();
    std::filesystem::remove_all(state_dir);
    return static_cast<double>(total) / seconds;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: brook-bench-guarantees BOOTSTRAP [RECORDS] [PARTITIONS]\n";
        return 2;
    }
    const std::string bootstrap = argv[1];
    const int64_t records = argc > 2 ? std::stoll(argv[2]) : 500000;
    const int partitions = argc > 3 ? std::stoi(argv[3]) : 4;
    try {
        const std::string input = fmt::format("bench-guarantees-{}", ::getpid());
        kafka::admin_client admin(kafka::client_config{{"bootstrap.servers", bootstrap}});
        admin.create_topics({{input, partitions, 1, {}}, {input + "-out", partitions, 1, {}}}, 30s);
        {
            kafka::producer p(kafka::client_config{{"bootstrap.servers", bootstrap},
                                                   {"linger.ms", "20"},
                                                   {"batch.num.messages", "10000"}});
            const int64_t base = 1700000000000;
            for (int64_t i = 0; i < records; ++i) {
                p.produce(input, RD_KAFKA_PARTITION_UA, fmt::format("k{}", i % 10000), "x",
                          base + i / 10);
            }
            p.flush(120s);
        }
        // Alternate the order over two rounds so neither guarantee always runs on a
        // warmer broker.
        double alos = 0;
        double eos = 0;
        alos += run(bootstrap, input, partitions, records, "at_least_once", "a1");
        eos += run(bootstrap, input, partitions, records, "exactly_once_v2", "e1");
        eos += run(bootstrap, input, partitions, records, "exactly_once_v2", "e2");
        alos += run(bootstrap, input, partitions, records, "at_least_once", "a2");
        alos /= 2;
        eos /= 2;
        std::cout << fmt::format(
            "windowed count, {} records, {} partitions, commit.interval.ms=100\n"
            "  at_least_once   {:>10.0f} records/s\n"
            "  exactly_once_v2 {:>10.0f} records/s\n"
            "  eos/alos        {:>10.2f}\n",
            records, partitions, alos, eos, eos / alos);
        admin.delete_topics({input, input + "-out"}, 30s);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "brook-bench-guarantees: " << e.what() << '\n';
        return 1;
    }
}
