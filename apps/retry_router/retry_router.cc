#include "apps/retry_router/retry_router.h"

#include <map>

#include <fmt/format.h>

#include "apps/retry_router/retry_history.h"

namespace brook::apps {

namespace detail {

void add_retry_router_topology(stream_builder& builder,
                               const std::shared_ptr<const retry_router_config>& config,
                               const std::string& name) {
    using text_serde = optional_serde<string_serde>;
    const retry_topics& topics = config->topics;
    for (size_t tier = 0; tier <= topics.tiers.size(); ++tier) {
        const std::string node =
            tier == 0 ? name + "-input" : fmt::format("{}-tier-{}", name, tier);
        consumed<retry_text, retry_text, text_serde, text_serde> source;
        source.name = node;
        if (tier > 0) {
            // Not with_due_time_header: a due time anyone wrote must not hold the partition
            // for longer than the tier could ask (retry_due_time.h).
            source.due_time = [rule = due_time_rule(tier, config->schedule.longest_delay(tier))](
                                  const raw_record& r) { return rule.wait_until(r); };
        }
        const std::string& topic = tier == 0 ? topics.input : topics.tiers[tier - 1];
        // Its own source, processor and sink per topic: the input and each tier are separate
        // sub-topologies, so their tasks wait for due times independently.
        builder.stream<retry_text, retry_text, text_serde, text_serde>({topic}, std::move(source))
            .process<retry_processor>(
                [config, tier] { return std::make_unique<retry_processor>(config, tier); }, {},
                node + "-route")
            .to(topic_extractor<retry_text, routed_value>(
                    [](const record<retry_text, routed_value>& r) { return r.value.topic; }),
                produced<retry_text, routed_value, text_serde, routed_value_serde>{
                    .name = node + "-sink"});
    }
}

} // namespace detail

void write_retry_router_metrics(prometheus_writer& w, const retry_router_counters& counters,
                                const retry_topics& topics, const streams_metrics* metrics) {
    w.single("brook_retry_router_succeeded_total", prometheus_type::counter,
             "Records the handler handled, written to the output topic.",
             counters.succeeded.load());
    w.single("brook_retry_router_recovered_total", prometheus_type::counter,
             "Records handled after at least one failed attempt.", counters.recovered.load());
    w.family("brook_retry_router_retried_total", prometheus_type::counter,
             "Records written to each retry tier after a retriable failure.");
    for (size_t n = 1; n <= counters.retried.size(); ++n) {
        const std::string tier = std::to_string(n);
        w.sample("brook_retry_router_retried_total", {{"tier", tier}},
                 counters.retried[n - 1].load());
    }
    w.family("brook_retry_router_dead_lettered_total", prometheus_type::counter,
             "Records written to the dead-letter topic, by cause.");
    w.sample("brook_retry_router_dead_lettered_total", {{"cause", "retries_exhausted"}},
             counters.exhausted.load());
    w.sample("brook_retry_router_dead_lettered_total", {{"cause", "non_retriable"}},
             counters.non_retriable.load());
    w.sample("brook_retry_router_dead_lettered_total", {{"cause", "unreadable"}},
             counters.unreadable.load());
    if (metrics == nullptr) {
        return;
    }
    std::map<size_t, int64_t> pending;
    for (size_t n = 1; n <= topics.tiers.size(); ++n) {
        pending[n] = 0;
    }
    for (const partition_lag& l : metrics->lag) {
        if (const size_t tier = topics.tier_of(l.topic); tier != 0) {
            pending[tier] += std::max<int64_t>(l.lag, 0) + l.buffered;
        }
    }
    w.family("brook_retry_router_pending", prometheus_type::gauge,
             "Records in each retry tier that this instance's tasks have not handled yet: "
             "consumer lag plus records waiting for their due time.");
    for (const auto& [tier, count] : pending) {
        const std::string label = std::to_string(tier);
        w.sample("brook_retry_router_pending", {{"tier", label}}, count);
    }
}

} // namespace brook::apps
