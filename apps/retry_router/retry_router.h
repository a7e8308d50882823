#pragma once

// retry_router: retries failed events on a schedule and dead-letters what cannot be
// handled, as a Brook topology, so that every input record ends either handled or in the
// dead-letter topic with its history, never lost.
//
//   <input> ------------+--> handler --> success    --> <output> (<input>.processed)
//   <input>.retry.1 ----+              \-> retriable --> <input>.retry.<n+1> (due-ts set)
//   ...   (delayed)     |               \            \-> after the last tier --> <input>.dlq
//   <input>.retry.N ----+                \-> non-retriable, unreadable      --> <input>.dlq
//
// The user supplies a handler, a C++ callable over typed records:
//
//   retry_outcome<O> handler(const K& key, const V& value, const retry_attempt& attempt)
//
// returning retry_outcome<O>::success() (the input value goes to the output as it came),
// success(output) (the output value, written with the output serde), retry(reason) (a
// retriable failure) or fail(reason) (non-retriable). A handler that throws a
// std::exception fails retriably with the exception's message. The key and value are read
// with the key and value serdes; a record they cannot read (serde_error) goes straight to
// the dead-letter topic with attempt 0 and the reason, without calling the handler.
//
// Tiers are topics read by delayed sources (engine/topology/due_time.h): a tier record is
// not handled before its due-ts, and a waiting record pauses only its own partition. A
// due-ts further ahead than the tier could ever ask (its longest delay plus a minute, from
// the record's last failure and from now), or one that cannot be read, is not waited for:
// the record is dead-lettered with the reason (retry_due_time.h). The
// schedule (retry_schedule.h) gives each tier's delay, per event type when the optional
// event-type extractor reads one from the value. Headers: retry_history.h; routing and
// timestamps: retry_processor.h. Each topic the router reads is its own sub-topology, so
// the input and every tier run as independent tasks.
//
// Usage:
//
//   apps::retry_router<std::string, order> router({.input_topic = "orders",
//       .schedule = apps::retry_schedule(apps::retry_schedule::parse_delays("1m,5m"))});
//   router.with_event_type([](const order& o) { return std::optional(o.type); });
//   router.build(builder, [](const std::string&, const order& o, const apps::retry_attempt&) {
//       return charge(o) ? apps::retry_outcome<order>::success()
//                        : apps::retry_outcome<order>::retry("payment service down");
//   });
//   ... run_app with .owned_topics = router.topics().all(), and on /metrics:
//   endpoint.add_metrics_source([&](brook::prometheus_writer& w) {
//       apps::write_retry_router_metrics(w, *router.counters(), router.topics(), &metrics); });
//
// Lifecycle: configure, build() once into a stream_builder; the topology then holds what
// it needs (the router object may go away; counters() stays valid through its
// shared_ptr). Threading: the handler is copied into each task (with the serdes and the
// extractor) and each copy is called only from its task's thread, but copies run
// concurrently on several stream threads: state they share must be thread-safe.

#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "apps/retry_router/retry_attempt.h"
#include "apps/retry_router/retry_processor.h"
#include "apps/retry_router/retry_schedule.h"
#include "apps/retry_router/retry_topics.h"
#include "engine/runtime/streams_metrics.h"
#include "engine/serde/serdes.h"
#include "operators/stream_builder.h"
#include "ops/prometheus_text.h"

namespace brook::apps {

// What a handler decided about one record; O is the output value type. A plain value made
// by one of the static functions.
template <class O>
class retry_outcome {
public:
    using kind = attempt_result::outcome;

    // Handled: the input value goes to the output topic unchanged.
    static retry_outcome success() { return retry_outcome(kind::success, {}, std::nullopt); }
    // Handled: `output` goes to the output topic instead of the input value.
    static retry_outcome success(O output) {
        return retry_outcome(kind::success, {}, std::optional<O>(std::move(output)));
    }
    // Failed for now: try again after the next tier's delay (or dead-letter after the last).
    static retry_outcome retry(std::string reason) {
        return retry_outcome(kind::retriable, std::move(reason), std::nullopt);
    }
    // Failed for good: dead-letter at once.
    static retry_outcome fail(std::string reason) {
        return retry_outcome(kind::non_retriable, std::move(reason), std::nullopt);
    }

    kind outcome() const { return _kind; }
    const std::string& reason() const { return _reason; }
    const std::optional<O>& output() const { return _output; }
    std::optional<O>& output() { return _output; }

private:
    retry_outcome(kind k, std::string reason, std::optional<O> output)
        : _kind(k), _reason(std::move(reason)), _output(std::move(output)) {}
    kind _kind;
    std::string _reason;
    std::optional<O> _output;
};

template <class F, class K, class V, class O>
concept retry_handler_for = std::invocable<F&, const K&, const V&, const retry_attempt&> &&
    std::same_as<std::invoke_result_t<F&, const K&, const V&, const retry_attempt&>,
                 retry_outcome<O>>;

template <class E, class V>
concept event_type_extractor_for = std::invocable<const E&, const V&> &&
    std::convertible_to<std::invoke_result_t<const E&, const V&>, std::optional<std::string>>;

struct retry_router_options {
    std::string input_topic = "events";
    std::string output_topic;      // empty: <input>.processed
    std::string dead_letter_topic; // empty: <input>.dlq
    retry_schedule schedule{retry_schedule::parse_delays("1m,5m,15m,60m")};
    // Prefix of the topology's node names: <name>-input, <name>-tier-<n>, ...
    std::string name = "retry-router";
};

namespace detail {

// The typed handler behind the byte-level retry_attempt_handler: deserializes, asks the
// user's callable, serializes an output value. One per task (see retry_router).
template <class K, class V, class O, class KS, class VS, class OS, class F>
class typed_retry_handler final : public retry_attempt_handler {
public:
    typed_retry_handler(F handler, KS ks, VS vs, OS os,
                        std::function<std::optional<std::string>(const V&)> event_type)
        : _handler(std::move(handler)), _ks(std::move(ks)), _vs(std::move(vs)), _os(std::move(os)),
          _event_type(std::move(event_type)) {}

    attempt_result attempt(nullable_bytes key_bytes, nullable_bytes value_bytes,
                           const retry_attempt& info) override {
        attempt_result result;
        std::optional<K> key;
        std::optional<V> value;
        try {
            key.emplace(_ks.deserialize(key_bytes));
        } catch (const std::exception& e) {
            return unreadable(std::string("cannot read the key: ") + e.what());
        }
        try {
            value.emplace(_vs.deserialize(value_bytes));
        } catch (const std::exception& e) {
            return unreadable(std::string("cannot read the value: ") + e.what());
        }
        if (_event_type) {
            try {
                result.event_type = _event_type(*value);
            } catch (
                const std::exception&) { // NOLINT(bugprone-empty-catch): no type, default schedule
            }
        }
        std::optional<retry_outcome<O>> outcome;
        try {
            outcome.emplace(_handler(*key, *value, info));
        } catch (const std::exception& e) {
            result.kind = attempt_result::outcome::retriable;
            result.reason = std::string("the handler threw: ") + e.what();
            return result;
        } catch (...) {
            result.kind = attempt_result::outcome::retriable;
            result.reason = "the handler threw something that is not a std::exception";
            return result;
        }
        result.kind = outcome->outcome();
        result.reason = outcome->reason();
        if (result.kind == attempt_result::outcome::success && outcome->output()) {
            try {
                _buffer.clear();
                const nullable_bytes out = _os.serialize(*outcome->output(), _buffer);
                result.output.emplace(out ? std::optional<std::string>(*out) : std::nullopt);
            } catch (const std::exception& e) {
                // The same output would fail the same way on every retry.
                result.kind = attempt_result::outcome::non_retriable;
                result.reason = std::string("cannot write the handler's output: ") + e.what();
            }
        }
        return result;
    }

private:
    static attempt_result unreadable(std::string reason) {
        attempt_result r;
        r.kind = attempt_result::outcome::unreadable;
        r.reason = std::move(reason);
        return r;
    }

    F _handler;
    KS _ks;
    VS _vs;
    OS _os;
    std::function<std::optional<std::string>(const V&)> _event_type;
    std::string _buffer;
};

// The byte-level wiring: one delayed or plain source per topic, its retry_processor and a
// sink choosing the topic per record. Throws topology_error.
void add_retry_router_topology(stream_builder& builder,
                               const std::shared_ptr<const retry_router_config>& config,
                               const std::string& name);

} // namespace detail

template <class K, class V, class O = V, class KS = default_serde<K>, class VS = default_serde<V>,
          class OS = default_serde<O>>
class retry_router {
public:
    static_assert(serde_for<KS, K>, "retry_router: the key serde does not serialize K");
    static_assert(serde_for<VS, V>, "retry_router: the value serde does not serialize V");
    static_assert(serde_for<OS, O>, "retry_router: the output serde does not serialize O");
    using outcome = retry_outcome<O>;

    // Throws std::invalid_argument for topic names Kafka refuses or that would loop (see
    // retry_topics::make).
    explicit retry_router(retry_router_options options, KS key_serde = {}, VS value_serde = {},
                          OS output_serde = {})
        : _options(std::move(options)),
          _topics(retry_topics::make(_options.input_topic, _options.output_topic,
                                     _options.dead_letter_topic, _options.schedule.tiers())),
          _counters(std::make_shared<retry_router_counters>(_options.schedule.tiers())),
          _ks(std::move(key_serde)), _vs(std::move(value_serde)), _os(std::move(output_serde)) {}

    // Reads each value's event type, to choose its retry schedule (and to label its
    // event-type header). Without one, every record follows the default schedule.
    template <class E>
    retry_router& with_event_type(E extractor) {
        static_assert(event_type_extractor_for<E, V>,
                      "with_event_type: the extractor must be callable as "
                      "std::optional<std::string>(const V& value)");
        _event_type = std::move(extractor);
        return *this;
    }

    // Adds the router's topology to `builder`. Throws topology_error (a node name taken).
    template <class F>
    void build(stream_builder& builder, F handler) const {
        static_assert(retry_handler_for<F, K, V, O>,
                      "retry_router::build: the handler must be callable as "
                      "retry_outcome<O>(const K& key, const V& value, const retry_attempt& a)");
        auto config = std::make_shared<retry_router_config>(retry_router_config{
            _topics, _options.schedule, _counters,
            [handler = std::move(handler), ks = _ks, vs = _vs, os = _os,
             event_type = _event_type]() -> std::unique_ptr<retry_attempt_handler> {
                return std::make_unique<detail::typed_retry_handler<K, V, O, KS, VS, OS, F>>(
                    handler, ks, vs, os, event_type);
            }});
        detail::add_retry_router_topology(builder, config, _options.name);
    }

    const retry_topics& topics() const { return _topics; }
    const retry_schedule& schedule() const { return _options.schedule; }
    const std::shared_ptr<retry_router_counters>& counters() const { return _counters; }

private:
    retry_router_options _options;
    retry_topics _topics;
    std::shared_ptr<retry_router_counters> _counters;
    KS _ks;
    VS _vs;
    OS _os;
    std::function<std::optional<std::string>(const V&)> _event_type;
};

// Writes the router's families for /metrics:
//   brook_retry_router_succeeded_total                 records written to the output
//   brook_retry_router_recovered_total                 of those, after >= 1 failure
//   brook_retry_router_retried_total{tier}             records written to each tier
//   brook_retry_router_dead_lettered_total{cause}      retries_exhausted, non_retriable,
//                                                      unreadable
//   brook_retry_router_pending{tier}                   records in each tier not handled
//                                                      yet by this instance's tasks: lag
//                                                      plus records held for their due
//                                                      time (only with `metrics`)
// Counts are this process's since it started. Pending is summed over the tier partitions
// this instance owns; a paused partition's end offset is the one its last fetch saw, so
// records written to it while it waits show only once it resumes.
void write_retry_router_metrics(prometheus_writer& w, const retry_router_counters& counters,
                                const retry_topics& topics, const streams_metrics* metrics);

} // namespace brook::apps
