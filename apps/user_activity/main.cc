// brook-user-activity: the user-activity pipeline as a program. See user_activity_topology.h
// for what it does.

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "apps/common/app_cli.h"
#include "apps/common/app_runner.h"
#include "apps/user_activity/user_activity_topology.h"
#include "engine/errors.h"
#include "engine/runtime/shutdown_signal.h"
#include "ops/ops_endpoint.h"

int main(int argc, char** argv) {
    using namespace brook;
    using namespace std::chrono_literals;

    shutdown_signal signals; // first, so every thread inherits the blocked signals
    apps::app_cli cli(
        "brook-user-activity",
        "Reads JSON events from user-events and order-events, drops duplicate event ids, and "
        "writes per user and window (a minute by default) the events by type and the order "
        "total to user-activity, with --sessions also per session to user-activity-sessions; "
        "invalid records go to <input topic>.dlq with the reason.",
        {
            {"user-events-topic", "input topic of user events", "user-events"},
            {"order-events-topic", "input topic of order events", "order-events"},
            {"output-topic", "per-user window results", "user-activity"},
            {"window", "tumbling window size", "60s"},
            {"grace", "how late an event may arrive for its window or session", "10s"},
            {"emit", "final: one result per window when it closes; updates: on every change",
             "final"},
            {"sessions", "also write per-user session windows", "", true},
            {"sessions-topic", "per-user session results", "user-activity-sessions"},
            {"session-gap", "the inactivity that ends a session", "5m"},
            {"dedupe-retention", "how long an event id is remembered to drop duplicates", "1h"},
        });
    if (auto error = cli.parse(argc, argv)) {
        std::cerr << "brook-user-activity: " << *error << "\n\n" << cli.usage();
        return 2;
    }
    if (cli.help_requested()) {
        std::cout << cli.usage();
        return 0;
    }

    apps::user_activity_options options;
    std::optional<streams_config> config;
    std::optional<topology> topo;
    try {
        options.user_events_topic = cli.get("user-events-topic");
        options.order_events_topic = cli.get("order-events-topic");
        options.output_topic = cli.get("output-topic");
        options.sessions_topic = cli.get("sessions-topic");
        options.window = cli.get_duration("window", 1ms);
        options.grace = cli.get_duration("grace", 0ms);
        if (cli.get("emit") != "final" && cli.get("emit") != "updates") {
            throw config_error("--emit must be 'final' or 'updates', got '" + cli.get("emit") +
                               "'");
        }
        options.emit = cli.get("emit") == "final" ? emit_strategy::on_window_close()
                                                  : emit_strategy::on_window_update();
        options.sessions = cli.is_set("sessions");
        options.session_gap = cli.get_duration("session-gap", 1ms);
        options.dedupe_retention = cli.get_duration("dedupe-retention", 1ms);
        // No record may stop the app or make the others late (issue 17): an event time over
        // an hour ahead of the clock, and a record the producer cannot write, go to
        // "<application.id>-dlq" with the reason. A task waits up to 2 s for an input that
        // has nothing yet while the other has records, so that a burst written input by
        // input after an idle spell is merged in time order (docs/runtime.md: The runtime). --set
        // overrides each.
        config.emplace(
            cli.make_config({{"application.id", "brook-user-activity"},
                             {"max.task.idle.ms", "2000"},
                             {"default.deserialization.exception.handler", "dead_letter"},
                             {"default.production.exception.handler", "dead_letter"},
                             {"max.event.time.future.ms", "3600000"}}));
        std::vector<apps::named_topic> outputs = {
            {apps::dead_letter_topic(options.user_events_topic),
             "the dead-letter topic of --user-events-topic"},
            {apps::dead_letter_topic(options.order_events_topic),
             "the dead-letter topic of --order-events-topic"},
            {options.output_topic, "--output-topic"}};
        if (options.sessions) {
            outputs.push_back({options.sessions_topic, "--sessions-topic"});
        }
        if (!config->dead_letter_topic().empty()) {
            outputs.push_back({config->dead_letter_topic(),
                               "the application's dead-letter topic "
                               "(errors.dead.letter.queue.topic.name)"});
        }
        // Before the topology is built, which would refuse two equal inputs less clearly.
        apps::check_topics_do_not_feed_back({{options.user_events_topic, "--user-events-topic"},
                                             {options.order_events_topic, "--order-events-topic"}},
                                            outputs);
        stream_builder builder;
        apps::build_user_activity_topology(builder, options);
        topo.emplace(builder.build(*config));
        std::vector<std::string> internal = topo->source_topics(config->application_id());
        const auto changelogs = topo->changelog_topics(config->application_id());
        internal.insert(internal.end(), changelogs.begin(), changelogs.end());
        apps::check_topics_do_not_feed_back({}, outputs, internal);
    } catch (const std::exception& e) {
        std::cerr << "brook-user-activity: configuration error: " << e.what() << "\n";
        return 2;
    }

    std::vector<std::string> owned = {options.user_events_topic, options.order_events_topic,
                                      apps::dead_letter_topic(options.user_events_topic),
                                      apps::dead_letter_topic(options.order_events_topic),
                                      options.output_topic};
    if (options.sessions) {
        owned.push_back(options.sessions_topic);
    }
    if (!config->dead_letter_topic().empty()) {
        owned.push_back(config->dead_letter_topic());
    }
    return apps::run_app({
        .program = "brook-user-activity",
        .cli = &cli,
        .signals = &signals,
        .config = std::move(*config),
        .topo = &*topo,
        .owned_topics = std::move(owned),
        // One task reads the same partition of both inputs.
        .copartitioned = {{options.user_events_topic, options.order_events_topic}},
        .register_stores =
            [counters = options.counters, window = options.window,
             sessions = options.sessions](brook::ops_endpoint& endpoint) {
                endpoint.add_timestamped_window_store<std::string, apps::activity_totals>(
                    apps::user_activity_windows_store, window);
                endpoint.add_window_store<std::string, int64_t>(apps::user_activity_dedupe_store);
                if (sessions) {
                    endpoint.add_session_store<std::string, apps::activity_totals>(
                        apps::user_activity_sessions_store);
                }
                endpoint.add_metrics_source([counters](brook::prometheus_writer& w) {
                    w.single("brook_user_activity_duplicates_dropped_total",
                             brook::prometheus_type::counter,
                             "Events dropped because their event_id was seen within the "
                             "dedupe retention.",
                             counters->duplicates_dropped.load());
                });
            },
        .finished =
            [counters = options.counters](kafka_streams&, int code) {
                std::cerr << fmt::format("brook-user-activity: {} duplicate events dropped\n",
                                         counters->duplicates_dropped.load());
                return code;
            },
    });
}
