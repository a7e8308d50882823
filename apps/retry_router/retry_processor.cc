#include "apps/retry_router/retry_processor.h"

#include <limits>

#include <fmt/format.h>

#include "apps/retry_router/retry_history.h"

namespace brook::apps {

namespace {

nullable_bytes view(const retry_text& t) {
    return t ? nullable_bytes(*t) : std::nullopt;
}

} // namespace

retry_processor::retry_processor(std::shared_ptr<const retry_router_config> config, size_t tier)
    : _config(std::move(config)), _tier(tier) {
    if (_tier > 0) {
        _due.emplace(_tier, _config->schedule.longest_delay(_tier));
    }
}

void retry_processor::init(context_type& /*context*/) {
    _handler = _config->make_handler();
    if (!_handler) {
        throw topology_error("retry router: make_handler returned no handler");
    }
}

void retry_processor::forward_to(const std::string& topic, record<retry_text, retry_text>&& r,
                                 int64_t now) {
    context().forward(record<retry_text, routed_value>{
        std::move(r.key), routed_value{topic, std::move(r.value)}, now, std::move(r.headers)});
}

void retry_processor::process(record<retry_text, retry_text>&& r) {
    const int64_t now = context().wall_clock_time();
    retry_router_counters& counters = *_config->counters;

    // What an input record starts with, and what a tier record falls back to for a header
    // it lacks: a tier-n record failed n times, last when it was written.
    retry_history fallback;
    fallback.attempt = static_cast<int64_t>(_tier);
    if (_tier > 0) {
        fallback.first_failure_ts = r.timestamp;
        fallback.last_failure_ts = r.timestamp;
    }
    if (const record_metadata* m = context().metadata()) {
        fallback.original_topic = std::string(m->topic);
        fallback.original_partition = m->partition;
        fallback.original_offset = m->offset;
    }
    fallback.original_timestamp = r.timestamp;
    // Past every tier an attempt count means nothing; bounding it keeps + 1 from overflowing.
    const auto max_attempt = static_cast<int64_t>(_config->topics.tiers.size()) + 1;
    retry_history history =
        _tier == 0 ? fallback : retry_history::read(r.headers, fallback, max_attempt);

    attempt_result result;
    std::optional<std::string> bad_due_time;
    if (_due) {
        bad_due_time = _due->problem(r.headers, r.timestamp, now);
    }
    if (bad_due_time) {
        // Not waited for by the source (retry_due_time.h): the handler must not see it early.
        result.kind = attempt_result::outcome::unreadable;
        result.reason = std::move(*bad_due_time);
    } else {
        const retry_attempt info{history.attempt + 1, _tier, history.error,
                                 history.first_failure_ts, &r.headers};
        result = _handler->attempt(view(r.key), view(r.value), info);
    }

    if (result.kind == attempt_result::outcome::success) {
        if (_tier > 0) {
            r.headers.remove(retry_header::due_ts);
            r.headers.remove(retry_header::dead_letter_cause);
            counters.recovered.fetch_add(1, std::memory_order_relaxed);
        }
        if (result.output) {
            r.value = std::move(*result.output);
        }
        counters.succeeded.fetch_add(1, std::memory_order_relaxed);
        forward_to(_config->topics.output, std::move(r), now);
        return;
    }

    if (result.kind != attempt_result::outcome::unreadable) {
        ++history.attempt;
    }
    history.error = std::move(result.reason);
    if (history.first_failure_ts < 0) {
        history.first_failure_ts = now;
    }
    history.last_failure_ts = now;
    history.write(r.headers);
    if (result.event_type) {
        r.headers.set(retry_header::event_type, *result.event_type);
    }
    r.headers.remove(retry_header::due_ts);
    r.headers.remove(retry_header::dead_letter_cause);

    const char* cause = "unreadable";
    if (result.kind == attempt_result::outcome::retriable) {
        const retry_schedule::delays& delays = _config->schedule.delays_for(result.event_type);
        const size_t next = _tier + 1;
        if (next <= delays.size()) {
            // Saturating: a simulated wall clock may be anywhere.
            const int64_t delay = delays[next - 1].count();
            const int64_t due = now > std::numeric_limits<int64_t>::max() - delay
                                    ? std::numeric_limits<int64_t>::max()
                                    : now + delay;
            r.headers.set(retry_header::due_ts, std::to_string(due));
            counters.retried[next - 1].fetch_add(1, std::memory_order_relaxed);
            forward_to(_config->topics.tiers[next - 1], std::move(r), now);
            return;
        }
        cause = "retries-exhausted";
        counters.exhausted.fetch_add(1, std::memory_order_relaxed);
    } else if (result.kind == attempt_result::outcome::non_retriable) {
        cause = "non-retriable";
        counters.non_retriable.fetch_add(1, std::memory_order_relaxed);
    } else {
        counters.unreadable.fetch_add(1, std::memory_order_relaxed);
    }
    r.headers.set(retry_header::dead_letter_cause, std::string(cause));
    context().task().count_dead_letter();
    forward_to(_config->topics.dead_letter, std::move(r), now);
}

} // namespace brook::apps
