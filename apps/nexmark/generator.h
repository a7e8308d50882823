#pragma once

// A Nexmark event generator after the benchmark's specification (Tucker et al., "NEXMark -
// A Benchmark for Queries over Data Streams", and the generator Apache Beam and the Flink
// Nexmark suite share): one stream of person, auction and bid events in the proportions
// 1 : 3 : 46 out of every 50, with the same rules for ids, hot auctions and bidders, prices
// and padding. Event n is a function of (seed, n) alone, so a run can be regenerated to
// compute the expected results of a query (apps/nexmark/reference.h) without storing it.
//
// What is this project's own: JSON formats (events.h for bids), a splitmix64 random
// stream per event instead of java.util.Random, and the channel and url choice (one of 4
// hot channels 9 times in 10, else one of 10,000). Event time advances by 1/rate per
// event from `base_time_ms`; the writer uses it as the record's timestamp.
//
// Threading: a generator is used by one thread.

#include <cstdint>
#include <string>

#include "apps/nexmark/events.h"

namespace brook::apps::nexmark {

struct generator_options {
    uint64_t seed = 1;
    int64_t base_time_ms = 0;           // event time of event 0
    int64_t events_per_second = 10'000; // of event time: Nexmark's default first-event rate
};

enum class event_kind { person, auction, bid };

struct event {
    event_kind kind = event_kind::bid;
    int64_t id = 0;        // the event's sequence number, from 0
    int64_t timestamp = 0; // event time, epoch ms
    std::string key;       // the event id in decimal: how the writer keys it
    std::string json;      // the event as JSON, in its serde's format (events.h)
    person p;              // the person, when kind is person
    auction a;             // the auction, when kind is auction
    bid b;                 // the bid, when kind is bid
};

class generator {
public:
    explicit generator(generator_options options) : _o(options) {}

    // The next event: event 0 first.
    const event& next();

    // The next person or auction, skipping the bids before it without making them: the
    // input of the queries that read no bids, as long as a run of every event would make it.
    const event& next_person_or_auction();

    // The kind of event n: person, auction or bid by its place in every 50.
    static event_kind kind_of(int64_t n);
    // How many events there are up to and including the k-th bid (k from 1).
    static int64_t events_for_bids(int64_t bids);

private:
    generator_options _o;
    int64_t _next = 0;
    event _event;
    std::string _buffer;
};

} // namespace brook::apps::nexmark
