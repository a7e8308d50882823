#include "apps/common/app_runner.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "apps/common/restore_progress.h"
#include "engine/errors.h"
#include "engine/runtime/topic_provisioning.h"
#include "ops/ops_endpoint.h"

namespace brook::apps {

using namespace std::chrono_literals;

namespace {

// The application's state directory, made now as kafka_streams would make it later: a
// directory that cannot be made or written is a configuration error like a bad flag.
void check_state_dir(const streams_config& config) {
    const std::filesystem::path dir = config.state_dir() / config.application_id();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!ec && ::access(dir.c_str(), W_OK | X_OK) != 0) {
        ec = std::error_code(errno, std::generic_category());
    }
    if (ec) {
        throw config_error(fmt::format("cannot use the state directory {}: {}; give --state-dir "
                                       "(state.dir) a directory this user can write",
                                       dir.string(), ec.message()));
    }
}

} // namespace

int run_app(app_run run) {
    const std::string& program = run.program;
    try {
        if (!run.config || run.cli == nullptr || run.signals == nullptr || run.topo == nullptr) {
            throw std::logic_error("run_app: config, cli, signals and topo are required");
        }
        const streams_config& config = *run.config;
        // Everything a flag or the configuration can get wrong is refused here, before the
        // first call to Kafka: a bad endpoint used to show only after the topics were made
        // and the group joined.
        const int partitions = static_cast<int>(run.cli->get_int("partitions", 1, max_partitions));
        std::optional<ops_endpoint_options> endpoint_options;
        if (run.cli->is_set("http-port")) {
            endpoint_options.emplace();
            endpoint_options->http.address = run.cli->get("http-address");
            endpoint_options->http.port =
                static_cast<uint16_t>(run.cli->get_int("http-port", 0, 65535));
            try {
                check_http_bindable(endpoint_options->http);
            } catch (const std::exception& e) {
                throw config_error(fmt::format("--http-port/--http-address: {}", e.what()));
            }
        }
        check_state_dir(config);
        print_embedded_notice_if_needed(config);
        // SIGTERM is honoured during start-up too: the steps that wait for the cluster ask.
        const auto stop_asked = [&] { return run.signals->poll(); };
        std::vector<new_topic> owned;
        for (const std::string& topic : run.owned_topics) {
            owned.push_back({.name = topic, .partitions = partitions});
        }
        provision_topics(config, owned, stop_asked);
        check_copartitioned(config, run.copartitioned, stop_asked);

        restore_progress progress;
        kafka_streams streams(*run.topo, config);
        streams.set_global_state_restore_listener(&progress);
        streams.set_state_listener([&program](streams_state now, streams_state before) {
            std::cerr << fmt::format("{}: {} -> {}\n", program, to_string(before), to_string(now));
        });
        streams.start(stop_asked);
        // Declared after `streams`, so it stops before the application goes away.
        std::unique_ptr<ops_endpoint> endpoint;
        if (endpoint_options) {
            const ops_endpoint_options& options = *endpoint_options;
            endpoint = std::make_unique<ops_endpoint>(streams, options);
            if (run.register_stores) {
                run.register_stores(*endpoint);
            }
            endpoint->start();
            std::cerr << fmt::format("{}: serving /metrics, /health, /ready, /topology and "
                                     "/stores on http://{}:{}\n",
                                     program, options.http.address, endpoint->port());
        }
        if (run.started) {
            run.started(streams);
        }

        int signal_number = 0;
        auto last_report = std::chrono::steady_clock::now();
        while (streams.state() != streams_state::error) {
            signal_number = run.signals->wait(200ms);
            if (signal_number != 0 || (run.done && run.done(streams))) {
                break;
            }
            if (!run.done && std::chrono::steady_clock::now() - last_report > 10s) {
                last_report = std::chrono::steady_clock::now();
                std::cerr << fmt::format("{}: {} records processed, {} produced\n", program,
                                         streams.records_processed(), streams.records_produced());
            }
        }
        const bool clean = streams.close(config.shutdown_timeout());
        int code = clean ? 0 : 3;
        if (clean) {
            // What is left is destroying the clients and stores. librdkafka has been seen to
            // hang in a client's destructor (an admin client of the embedded mock), so that
            // too is bounded by shutdown.timeout.ms: the process ends either way.
            std::thread([program, timeout = config.shutdown_timeout()] {
                std::this_thread::sleep_for(timeout);
                std::cerr << fmt::format("{}: releasing the clients and stores did not finish "
                                         "within {} ms (shutdown.timeout.ms); exiting\n",
                                         program, timeout.count());
                std::cerr.flush();
                std::_Exit(3);
            }).detach();
        }
        if (!clean) {
            // A thread is stuck (a broker gone while it commits, a processor that never
            // returns): destroying the application would wait for it forever. Shutdown is
            // bounded by shutdown.timeout.ms, so the process ends here.
            std::cerr << fmt::format("{}: the stream threads did not stop within {} ms "
                                     "(shutdown.timeout.ms); exiting without waiting for them\n",
                                     program, config.shutdown_timeout().count());
            std::cerr.flush();
            std::_Exit(3);
        }
        if (streams.state() == streams_state::error) {
            std::cerr << fmt::format("{}: stopped with an error: {}\n", program,
                                     streams.error_reason());
            code = 1;
        } else if (signal_number != 0) {
            std::cerr << fmt::format("{}: signal {} received, committed and stopped\n", program,
                                     signal_number);
        } else if (!clean) {
            std::cerr << fmt::format("{}: the stream threads did not stop within {} ms\n", program,
                                     config.shutdown_timeout().count());
        }
        if (run.finished) {
            code = run.finished(streams, code);
        }
        return code;
    } catch (const operation_cancelled& e) {
        std::cerr << fmt::format("{}: stopped during start-up: {}\n", program, e.what());
        return 0;
    } catch (const config_error& e) {
        std::cerr << fmt::format("{}: configuration error: {}\n", program, e.what());
        return 2;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("{}: {}\n", program, e.what());
        return 1;
    }
}

} // namespace brook::apps
