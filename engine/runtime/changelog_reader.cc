#include "engine/runtime/changelog_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/errors.h"

namespace brook {

using namespace std::chrono_literals;

namespace {

constexpr size_t max_batch = 10000;
constexpr auto watermark_timeout = 30s;

} // namespace

kafka::client_config changelog_consumer_config(kafka::client_config config) {
    // A group id is needed to create a consumer, but this one never subscribes or commits:
    // it only reads assigned changelog partitions.
    config.set("group.id", "brook-restore-consumer")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_committed");
    return config;
}

changelog_reader::changelog_reader(client_factory& clients, kafka::client_config config,
                                   state_restore_listener* listener, task_counters& counters)
    : _clients(clients), _config(std::move(config)), _listener(listener), _counters(counters) {
    _batch.reserve(max_batch);
    _entries.reserve(max_batch);
}

changelog_reader::~changelog_reader() = default;

consumer_client& changelog_reader::consumer() {
    if (!_consumer) {
        _consumer = _clients.restore_consumer(changelog_consumer_config(_config));
    }
    return *_consumer;
}

bool changelog_reader::add(const task_id& owner, std::vector<changelog_partition>& stores) {
    bool restoring = false;
    for (auto& cp : stores) {
        auto [low, high] = consumer().query_watermarks({cp.topic, cp.partition}, watermark_timeout);
        if (cp.source != nullptr) {
            // A table's source topic: what follows the committed offset is the task's to
            // process, not to restore (with no committed offset, the task reads it all).
            high = std::clamp(cp.restore_end.value_or(low), low, high);
        }
        int64_t start = low;
        const bool checkpoint_valid =
            cp.persistent && cp.checkpoint && *cp.checkpoint >= low && *cp.checkpoint <= high;
        if (checkpoint_valid) {
            start = *cp.checkpoint;
        } else {
            // No checkpoint, or one the log no longer covers (deleted and re-created, or
            // truncated): what the store holds cannot be trusted, so rebuild it.
            cp.target->wipe();
            cp.checkpoint.reset();
        }
        if (_listener != nullptr) {
            _listener->on_restore_start(cp.topic, cp.partition, cp.store, start, high);
        }
        if (start >= high) {
            if (cp.checkpoint != high) {
                cp.checkpoint = high;
                if (cp.persistent) {
                    cp.target->write_checkpoint(high);
                }
            }
            if (_listener != nullptr) {
                _listener->on_restore_end(cp.topic, cp.partition, cp.store, 0);
            }
            continue;
        }
        cp.target->begin_restore();
        _active.push_back(active_restore{owner, &cp, start, high});
        restoring = true;
    }
    // The new assignment is made by the next restore(): a thread adds its newly assigned
    // tasks one after another, and each full assignment drops what was prefetched.
    _assignment_stale = _assignment_stale || restoring;
    return !restoring;
}

void changelog_reader::remove(const task_id& owner) {
    const size_t before = _active.size();
    std::erase_if(_active, [&](const active_restore& r) { return r.owner == owner; });
    if (_active.empty() && before > 0) {
        reassign(); // restore() may not be called again while idle: stop fetching now
    } else if (_active.size() != before) {
        _assignment_stale = true;
    }
}

void changelog_reader::reassign() {
    _assignment_stale = false;
    std::vector<std::pair<topic_partition, record_offset>> positions;
    positions.reserve(_active.size());
    for (const auto& r : _active) {
        positions.emplace_back(topic_partition{r.store->topic, r.store->partition},
                               record_offset(r.position));
    }
    // A full assign: positions come from what was applied, so records fetched for the
    // old assignment and dropped by librdkafka are simply read again.
    consumer().assign(positions);
    // librdkafka keeps a partition's pause across assignments: resume the ones paused when
    // an earlier restore of them finished.
    std::vector<topic_partition> resumed;
    for (const auto& [tp, next] : positions) {
        if (_paused.erase(tp) > 0) {
            resumed.push_back(tp);
        }
    }
    consumer().resume(resumed);
}

void changelog_reader::finish(active_restore& r) {
    r.store->target->end_restore();
    r.store->checkpoint = r.position;
    if (r.store->persistent) {
        r.store->target->write_checkpoint(r.position);
    }
    if (_listener != nullptr) {
        _listener->on_restore_end(r.store->topic, r.store->partition, r.store->store, r.restored);
    }
}

std::vector<task_id> changelog_reader::restore(std::chrono::milliseconds timeout) {
    std::vector<task_id> done;
    if (_assignment_stale) {
        reassign();
    }
    if (_active.empty()) {
        return done;
    }
    _batch.clear();
    _events.clear();
    _converted.clear();
    consumer().poll(_batch, _events, max_batch, timeout);

    auto find = [&](std::string_view topic, int32_t partition) -> active_restore* {
        for (auto& r : _active) {
            if (r.store->partition == partition && r.store->topic == topic) {
                return &r;
            }
        }
        return nullptr;
    };
    for (const auto& e : _events) {
        active_restore* r = find(e.partition.topic, e.partition.partition);
        if (r == nullptr) {
            continue; // a partition restored already, fetched before the reassign
        }
        if (e.what == consumer_event::kind::end_of_partition) {
            // Applied below, after the records fetched before it.
            continue;
        }
        throw streams_error(fmt::format(
            "restoring store '{}' from {}-{}: {} (check that the changelog topic exists "
            "and is readable)",
            r->store->store, r->store->topic, r->store->partition, e.message));
    }
    active_restore* run = nullptr; // the restore the records in _entries belong to
    int64_t run_last_offset = 0;
    auto apply_run = [&] {
        if (run == nullptr || _entries.empty()) {
            return;
        }
        run->store->target->restore_batch(_entries);
        const auto n = static_cast<int64_t>(_entries.size());
        run->restored += n;
        _counters.records_restored.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        if (_listener != nullptr) {
            _listener->on_batch_restored(run->store->topic, run->store->partition,
                                         run->store->store, run_last_offset, n);
        }
        _entries.clear();
    };
    for (auto& msg : _batch) {
        active_restore* r = find(msg.topic(), msg.partition());
        if (r != run) {
            apply_run();
            run = r;
        }
        if (r == nullptr) {
            continue; // a partition restored already, fetched before the reassign
        }
        if (msg.offset() < r->position) {
            continue;
        }
        if (r->store->source != nullptr) {
            if (msg.offset() >= r->end) {
                r->position = std::max(r->position, r->end); // the task processes the rest
                continue;
            }
            std::string& key = _converted.emplace_back();
            std::string& value = _converted.emplace_back();
            const auto row =
                r->store->source->convert(msg.key(), msg.value(), msg.timestamp(), key, value);
            r->position = msg.offset() + 1;
            if (row == source_changelog::row::skip) {
                continue; // a record the table skipped (and reported) when it processed it
            }
            state::changelog_entry e;
            e.key = key;
            if (row == source_changelog::row::put) {
                e.value = std::string_view(value);
            }
            _entries.push_back(e);
            run_last_offset = msg.offset();
            continue;
        }
        state::changelog_entry e;
        e.key = msg.key().value_or(std::string_view());
        e.value = msg.value();
        _entries.push_back(e);
        r->position = msg.offset() + 1;
        run_last_offset = msg.offset();
    }
    apply_run();
    for (const auto& e : _events) {
        if (e.what != consumer_event::kind::end_of_partition) {
            continue;
        }
        active_restore* r = find(e.partition.topic, e.partition.partition);
        if (r == nullptr) {
            continue;
        }
        if (r->store->source != nullptr) {
            // A table's source topic goes on past the restore's end: the local data reflects
            // the topic up to the end only, and its checkpoint must say so. And the end (the
            // group's committed offset) stays: under at_least_once it can lie past records
            // of a transaction still open, which this read_committed reader sees only once
            // it ends; until then the restore waits rather than leave a gap.
            r->position = std::max(r->position, std::min(e.offset, r->end));
            continue;
        }
        r->position = std::max(r->position, e.offset);
        r->end = std::min(r->end, r->position); // the end is reached, whatever was read
    }

    bool finished_any = false;
    for (auto& r : _active) {
        if (r.position >= r.end) {
            finish(r);
            finished_any = true;
        }
    }
    if (!finished_any) {
        return done;
    }
    std::vector<task_id> touched;
    std::vector<topic_partition> finished;
    std::erase_if(_active, [&](const active_restore& r) {
        if (r.position >= r.end) {
            touched.push_back(r.owner);
            finished.push_back({r.store->topic, r.store->partition});
            return true;
        }
        return false;
    });
    for (const task_id& t : touched) {
        const bool still = std::any_of(_active.begin(), _active.end(),
                                       [&](const active_restore& r) { return r.owner == t; });
        if (!still && std::find(done.begin(), done.end(), t) == done.end()) {
            done.push_back(t);
        }
    }
    if (_active.empty()) {
        reassign(); // nothing left: stop fetching altogether
    } else {
        // Pause rather than reassign: a new assignment would drop what was prefetched for
        // the partitions still restoring, and its first fetch would wait for the one in
        // flight (up to fetch.wait.max.ms once a partition sits at its end).
        consumer().pause(finished);
        _paused.insert(finished.begin(), finished.end());
    }
    return done;
}

uint64_t changelog_reader::remaining() const {
    uint64_t n = 0;
    for (const auto& r : _active) {
        n += static_cast<uint64_t>(std::max<int64_t>(0, r.end - r.position));
    }
    return n;
}

} // namespace brook
