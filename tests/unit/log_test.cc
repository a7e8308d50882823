// The library's log (base/log.h): levels, the sink a program sets, and the promise that
// library code writes nothing to stderr itself. A start against an unreachable broker
// (librdkafka complains about every refused connection) and a whole application run on
// the embedded cluster (start, assignment, processing, close) must leave stderr empty
// while the sink hears both.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "base/log.h"
#include "engine/errors.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/kafka_streams.h"
#include "operators/stream_builder.h"
#include "ops/http_client.h"
#include "ops/ops_endpoint.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

class capturing_sink final : public log_sink {
public:
    void write(log_level level, std::string_view message) override {
        std::lock_guard lock(_mutex);
        _messages.emplace_back(level, std::string(message));
    }
    bool heard(log_level level, std::string_view part) const {
        std::lock_guard lock(_mutex);
        for (const auto& [l, m] : _messages) {
            if (l == level && m.find(part) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
    size_t size() const {
        std::lock_guard lock(_mutex);
        return _messages.size();
    }
    // The last `n` messages heard, one line each: what a failed expectation prints.
    std::string dump(size_t n = 40) const {
        std::lock_guard lock(_mutex);
        std::string all;
        for (size_t i = _messages.size() > n ? _messages.size() - n : 0; i < _messages.size();
             ++i) {
            all += std::string(to_string(_messages[i].first)) + " " + _messages[i].second + "\n";
        }
        return all;
    }

private:
    mutable std::mutex _mutex;
    std::vector<std::pair<log_level, std::string>> _messages;
};

// Points fd 2 at a file for its lifetime (every thread's stderr, librdkafka's included);
// text() gives back what was written there.
class stderr_to_file {
public:
    stderr_to_file()
        : _path(std::filesystem::temp_directory_path() /
                ("brook-log-test-stderr-" + std::to_string(::getpid()))) {
        std::fflush(stderr);
        _saved = ::dup(2);
        std::FILE* f = std::fopen(_path.c_str(), "w");
        ::dup2(::fileno(f), 2);
        std::fclose(f);
    }
    stderr_to_file(const stderr_to_file&) = delete;
    stderr_to_file& operator=(const stderr_to_file&) = delete;
    ~stderr_to_file() {
        restore();
        std::filesystem::remove(_path);
    }
    std::string text() {
        restore();
        std::ifstream in(_path);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    void restore() {
        if (_saved >= 0) {
            std::fflush(stderr);
            ::dup2(_saved, 2);
            ::close(_saved);
            _saved = -1;
        }
    }
    std::filesystem::path _path;
    int _saved = -1;
};

// Installs a sink for one test and restores the default level and sink after it.
struct sink_installed {
    explicit sink_installed(log_level level) : sink(std::make_shared<capturing_sink>()) {
        set_log_sink(sink);
        set_log_level(level);
    }
    sink_installed(const sink_installed&) = delete;
    sink_installed& operator=(const sink_installed&) = delete;
    ~sink_installed() {
        set_log_sink(nullptr);
        set_log_level(log_level::info);
    }
    std::shared_ptr<capturing_sink> sink;
};

TEST(log, levels_parse_and_filter) {
    for (const log_level l :
         {log_level::error, log_level::warn, log_level::info, log_level::debug}) {
        EXPECT_EQ(parse_log_level(to_string(l)), l);
    }
    EXPECT_FALSE(parse_log_level("verbose"));
    EXPECT_FALSE(parse_log_level("INFO")) << "levels are spelt as --help says";
    sink_installed installed(log_level::warn);
    log_info("not heard at warn");
    log_warn("heard at warn");
    log_error("heard at error");
    EXPECT_EQ(installed.sink->size(), 2U);
    EXPECT_TRUE(installed.sink->heard(log_level::warn, "heard at warn"));
    EXPECT_TRUE(installed.sink->heard(log_level::error, "heard at error"));
}

TEST(log, library_code_writes_to_stderr_only_through_the_log) {
    sink_installed installed(log_level::info);
    stderr_to_file captured;

    {
        // librdkafka logs every refused connection.
        stream_builder b;
        b.stream<std::string, std::string>({"in"}).to("out");
        const topology t = b.build();
        kafka_streams app(t, streams_config({{"application.id", "log-test-unreachable"},
                                             {"bootstrap.servers", "127.0.0.1:1"},
                                             {"broker.wait.timeout.ms", "1500"}}));
        EXPECT_THROW(app.start(), streams_error);
        app.close(5s);
    }
    {
        auto cluster = kafka::embedded_cluster::shared();
        cluster->create_topic("log-test-in", 1);
        cluster->create_topic("log-test-out", 1);
        kafka::producer p(
            kafka::client_config{{"bootstrap.servers", cluster->bootstrap_servers()}});
        for (int i = 0; i < 10; ++i) {
            p.produce("log-test-in", 0, "k", "v" + std::to_string(i));
        }
        p.flush(10s);
        stream_builder b;
        b.stream<std::string, std::string>({"log-test-in"}).to("log-test-out");
        const topology t = b.build();
        const auto state = std::filesystem::temp_directory_path() /
                           ("brook-log-test-state-" + std::to_string(::getpid()));
        kafka_streams app(t, streams_config({{"application.id", "log-test-app"},
                                             {"bootstrap.servers", "embedded"},
                                             {"state.dir", state.string()}}));
        app.start();
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (app.records_processed() < 10 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(50ms);
        }
        EXPECT_EQ(app.records_processed(), 10U) << installed.sink->dump();
        // The operator endpoint is library code too: a metrics source that fails is logged.
        ops_endpoint endpoint(app);
        endpoint.add_metrics_source(
            [](prometheus_writer&) { throw std::runtime_error("this source always fails"); });
        endpoint.start();
        EXPECT_EQ(http_fetch("127.0.0.1", endpoint.port(), "/metrics", 10s).status, 200);
        endpoint.stop();
        EXPECT_TRUE(installed.sink->heard(log_level::warn, "this source always fails"))
            << installed.sink->dump();
        EXPECT_TRUE(app.close(30s));
        std::filesystem::remove_all(state);
    }

    const std::string written = captured.text();
    EXPECT_EQ(written, "") << "library code wrote to stderr past the log";
    EXPECT_TRUE(installed.sink->heard(log_level::error, "librdkafka"))
        << "librdkafka's complaints about the refused connections went elsewhere";
    EXPECT_TRUE(installed.sink->heard(log_level::info, "assigned tasks"));
}

} // namespace
} // namespace brook
