#include "tests/support/fake_clients.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace brook::testing {

using namespace std::chrono_literals;

// ---------------------------------------------------------------- fake_cluster

void fake_cluster::create_topic(const std::string& name, int32_t partitions) {
    std::lock_guard lock(_mutex);
    _logs[name].resize(static_cast<size_t>(partitions));
}

int32_t fake_cluster::partitions(const std::string& topic) const {
    std::lock_guard lock(_mutex);
    auto it = _logs.find(topic);
    return it == _logs.end() ? 0 : static_cast<int32_t>(it->second.size());
}

std::vector<stored_record>& fake_cluster::log(const topic_partition& tp) {
    auto it = _logs.find(tp.topic);
    if (it == _logs.end() || tp.partition < 0 ||
        static_cast<size_t>(tp.partition) >= it->second.size()) {
        throw kafka::kafka_error::from(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, tp.to_string());
    }
    return it->second[static_cast<size_t>(tp.partition)];
}

const std::vector<stored_record>* fake_cluster::find_log(const topic_partition& tp) const {
    auto it = _logs.find(tp.topic);
    if (it == _logs.end() || tp.partition < 0 ||
        static_cast<size_t>(tp.partition) >= it->second.size()) {
        return nullptr;
    }
    return &it->second[static_cast<size_t>(tp.partition)];
}

int64_t fake_cluster::append(const std::string& topic, int32_t partition,
                             std::optional<std::string> key, std::optional<std::string> value,
                             int64_t timestamp, headers hdrs) {
    stored_record r;
    r.key = std::move(key);
    r.value = std::move(value);
    r.timestamp = timestamp;
    r.hdrs = std::move(hdrs);
    return append_transactional(topic, partition, std::move(r), 0);
}

int64_t fake_cluster::append_transactional(const std::string& topic, int32_t partition,
                                           stored_record r, uint64_t transaction) {
    std::lock_guard lock(_mutex);
    auto& l = log({topic, partition});
    r.offset = static_cast<int64_t>(l.size());
    r.transaction = transaction;
    r.status = transaction == 0 ? stored_record::state::committed : stored_record::state::open;
    l.push_back(std::move(r));
    return l.back().offset;
}

std::vector<stored_record> fake_cluster::read_committed(const std::string& topic,
                                                        int32_t partition) const {
    std::lock_guard lock(_mutex);
    std::vector<stored_record> out;
    if (const auto* l = find_log({topic, partition})) {
        for (const auto& r : *l) {
            if (r.status == stored_record::state::open) {
                break; // the last stable offset
            }
            if (r.status == stored_record::state::committed) {
                out.push_back(r);
            }
        }
    }
    return out;
}

std::vector<stored_record> fake_cluster::read_all(const std::string& topic,
                                                  int32_t partition) const {
    std::lock_guard lock(_mutex);
    const auto* l = find_log({topic, partition});
    return l != nullptr ? *l : std::vector<stored_record>{};
}

std::optional<committed_position> fake_cluster::committed(const topic_partition& tp) const {
    std::lock_guard lock(_mutex);
    auto it = _offsets.find(tp);
    if (it == _offsets.end()) {
        return std::nullopt;
    }
    return it->second;
}

uint64_t fake_cluster::committed_transactions() const {
    std::lock_guard lock(_mutex);
    return _committed_transactions;
}

uint64_t fake_cluster::aborted_transactions() const {
    std::lock_guard lock(_mutex);
    return _aborted_transactions;
}

int64_t fake_cluster::end_offset(const topic_partition& tp) const {
    std::lock_guard lock(_mutex);
    const auto* l = find_log(tp);
    return l != nullptr ? static_cast<int64_t>(l->size()) : 0;
}

int64_t fake_cluster::last_stable_offset(const topic_partition& tp) const {
    std::lock_guard lock(_mutex);
    const auto* l = find_log(tp);
    if (l == nullptr) {
        return 0;
    }
    for (const auto& r : *l) {
        if (r.status == stored_record::state::open) {
            return r.offset;
        }
    }
    return static_cast<int64_t>(l->size());
}

std::vector<stored_record> fake_cluster::fetch(const topic_partition& tp, int64_t from,
                                               size_t max) const {
    std::lock_guard lock(_mutex);
    std::vector<stored_record> out;
    const auto* l = find_log(tp);
    if (l == nullptr) {
        return out;
    }
    for (auto i = static_cast<size_t>(std::max<int64_t>(from, 0)); i < l->size(); ++i) {
        const stored_record& r = (*l)[i];
        if (r.status == stored_record::state::open || out.size() >= max) {
            break;
        }
        out.push_back(r); // aborted ones too: the consumer skips them and moves past
    }
    return out;
}

void fake_cluster::commit_offsets(const offset_map& offsets) {
    std::lock_guard lock(_mutex);
    for (const auto& [tp, pos] : offsets) {
        _offsets[tp] = pos;
    }
}

void fake_cluster::end_transaction(uint64_t transaction, bool commit, const offset_map& offsets) {
    std::lock_guard lock(_mutex);
    std::erase_if(_open_transactions, [&](const auto& e) { return e.second == transaction; });
    for (auto& [topic, partitions] : _logs) {
        for (auto& l : partitions) {
            for (auto& r : l) {
                if (r.transaction == transaction && r.status == stored_record::state::open) {
                    r.status =
                        commit ? stored_record::state::committed : stored_record::state::aborted;
                }
            }
        }
    }
    if (commit) {
        for (const auto& [tp, pos] : offsets) {
            _offsets[tp] = pos;
        }
        ++_committed_transactions;
    } else {
        ++_aborted_transactions;
    }
}

uint64_t fake_cluster::begin_transaction(const std::string& transactional_id) {
    std::lock_guard lock(_mutex);
    const uint64_t id = _next_transaction++;
    _open_transactions[transactional_id] = id;
    return id;
}

uint64_t fake_cluster::fence(const std::string& transactional_id) {
    uint64_t epoch = 0;
    uint64_t left_open = 0;
    {
        std::lock_guard lock(_mutex);
        epoch = ++_epochs[transactional_id];
        if (auto it = _open_transactions.find(transactional_id); it != _open_transactions.end()) {
            left_open = it->second;
            _open_transactions.erase(it);
        }
    }
    if (left_open != 0) {
        end_transaction(left_open, false, {});
    }
    return epoch;
}

uint64_t fake_cluster::epoch(const std::string& transactional_id) const {
    std::lock_guard lock(_mutex);
    auto it = _epochs.find(transactional_id);
    return it == _epochs.end() ? 0 : it->second;
}

kafka::kafka_error abortable_error(const std::string& what) {
    return kafka::kafka_error(what, RD_KAFKA_RESP_ERR__FAIL, false, false, true);
}

kafka::kafka_error fenced_error(const std::string& what) {
    return kafka::kafka_error(what, RD_KAFKA_RESP_ERR__FENCED, true, false, false);
}

kafka::kafka_error rebalancing_error(const std::string& what) {
    return kafka::kafka_error(what, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, false, false, false);
}

// ---------------------------------------------------------------- fake_consumer

fake_consumer::fake_consumer(fake_cluster& cluster, partition_listener* listener)
    : _cluster(cluster), _listener(listener) {}

fake_consumer::~fake_consumer() {
    if (on_destroy) {
        on_destroy();
    }
}

void fake_consumer::script_assign(std::vector<topic_partition> partitions) {
    std::lock_guard lock(_mutex);
    _script.push_back({scripted::kind::assign, std::move(partitions)});
}

void fake_consumer::script_revoke(std::vector<topic_partition> partitions) {
    std::lock_guard lock(_mutex);
    _script.push_back({scripted::kind::revoke, std::move(partitions)});
}

void fake_consumer::script_lose(std::vector<topic_partition> partitions) {
    std::lock_guard lock(_mutex);
    _script.push_back({scripted::kind::lose, std::move(partitions)});
}

void fake_consumer::fail_next_commit(kafka::kafka_error e) {
    std::lock_guard lock(_mutex);
    _commit_failure = std::move(e);
}

void fake_consumer::set_auto_assign(bool on) {
    std::lock_guard lock(_mutex);
    _auto_assign = on;
}

std::vector<topic_partition> fake_consumer::assignment() const {
    std::lock_guard lock(_mutex);
    std::vector<topic_partition> out;
    for (const auto& [tp, pos] : _positions) {
        out.push_back(tp);
    }
    return out;
}

size_t fake_consumer::polls() const {
    std::lock_guard lock(_mutex);
    return _polls;
}

void fake_consumer::subscribe(const std::vector<std::string>& topics) {
    std::lock_guard lock(_mutex);
    _subscribed = topics;
}

void fake_consumer::assign(
    const std::vector<std::pair<topic_partition, record_offset>>& positions) {
    std::lock_guard lock(_mutex);
    _positions.clear();
    for (const auto& [tp, next] : positions) {
        _positions[tp].next = next.value;
    }
}

void fake_consumer::add_partitions(const std::vector<topic_partition>& partitions) {
    std::lock_guard lock(_mutex);
    for (const auto& tp : partitions) {
        _positions.emplace(tp, position{});
    }
}

void fake_consumer::remove_partitions(const std::vector<topic_partition>& partitions) {
    std::lock_guard lock(_mutex);
    for (const auto& tp : partitions) {
        _positions.erase(tp);
    }
}

void fake_consumer::poll(std::vector<consumed_record>& records, std::vector<consumer_event>& events,
                         size_t max, std::chrono::milliseconds timeout) {
    // Rebalances first, one at a time, outside the lock: the listener calls back in.
    for (;;) {
        std::optional<scripted> next;
        {
            std::lock_guard lock(_mutex);
            ++_polls;
            if (_auto_assign && !_auto_assigned && !_subscribed.empty()) {
                _auto_assigned = true;
                std::vector<topic_partition> all;
                for (const auto& topic : _subscribed) {
                    for (int32_t p = 0; p < _cluster.partitions(topic); ++p) {
                        all.push_back({topic, p});
                    }
                }
                _script.push_front({scripted::kind::assign, std::move(all)});
            }
            if (!_script.empty()) {
                next = std::move(_script.front());
                _script.pop_front();
            }
        }
        if (!next) {
            break;
        }
        if (next->what == scripted::kind::assign) {
            add_partitions(next->partitions);
            if (_listener != nullptr) {
                _listener->on_assigned(next->partitions);
            }
        } else {
            if (_listener != nullptr) {
                if (next->what == scripted::kind::revoke) {
                    _listener->on_revoked(next->partitions);
                } else {
                    _listener->on_lost(next->partitions);
                }
            }
            remove_partitions(next->partitions);
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        {
            std::lock_guard lock(_mutex);
            for (auto& [tp, pos] : _positions) {
                if (pos.paused || records.size() >= max) {
                    continue;
                }
                if (pos.next < 0) {
                    const auto c = _cluster.committed(tp);
                    pos.next = c ? c->next.value : 0;
                }
                for (auto& r : _cluster.fetch(tp, pos.next, max - records.size())) {
                    pos.next = r.offset + 1;
                    if (r.status == stored_record::state::aborted) {
                        continue;
                    }
                    auto [it, added] =
                        _topic_names.try_emplace(tp.topic, std::make_unique<std::string>(tp.topic));
                    records.push_back(
                        consumed_record::in_memory(tp.topic, it->second.get(), tp.partition,
                                                   r.offset, r.timestamp, r.key, r.value, r.hdrs));
                }
                const int64_t stable = _cluster.last_stable_offset(tp);
                if (pos.next >= stable && pos.eof_reported != pos.next) {
                    pos.eof_reported = pos.next;
                    consumer_event e;
                    e.what = consumer_event::kind::end_of_partition;
                    e.partition = tp;
                    e.offset = pos.next;
                    events.push_back(std::move(e));
                }
            }
        }
        if (!records.empty() || !events.empty() || std::chrono::steady_clock::now() >= deadline) {
            return;
        }
        std::this_thread::sleep_for(1ms);
    }
}

void fake_consumer::commit(const offset_map& offsets) {
    {
        std::lock_guard lock(_mutex);
        if (_commit_failure) {
            kafka::kafka_error e = std::move(*_commit_failure);
            _commit_failure.reset();
            throw e;
        }
    }
    _cluster.commit_offsets(offsets);
}

offset_map fake_consumer::committed(const std::vector<topic_partition>& partitions,
                                    std::chrono::milliseconds /*timeout*/) {
    offset_map out;
    for (const auto& tp : partitions) {
        if (auto c = _cluster.committed(tp)) {
            out.emplace(tp, *c);
        }
    }
    return out;
}

std::optional<int64_t> fake_consumer::cached_end_offset(const topic_partition& partition) {
    return _cluster.end_offset(partition);
}

std::pair<int64_t, int64_t> fake_consumer::query_watermarks(const topic_partition& partition,
                                                            std::chrono::milliseconds /*timeout*/) {
    if (_cluster.partitions(partition.topic) <= partition.partition) {
        throw kafka::kafka_error::from(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                                       partition.to_string());
    }
    return {0, _cluster.last_stable_offset(partition)};
}

partition_map<int64_t> fake_consumer::end_offsets(const std::vector<topic_partition>& partitions,
                                                  std::chrono::milliseconds /*timeout*/) {
    partition_map<int64_t> out;
    for (const auto& tp : partitions) {
        if (_cluster.partitions(tp.topic) > tp.partition) {
            out.emplace(tp, _cluster.last_stable_offset(tp));
        }
    }
    return out;
}

partition_map<record_offset>
fake_consumer::positions(const std::vector<topic_partition>& partitions) {
    std::lock_guard lock(_mutex);
    partition_map<record_offset> out;
    for (const auto& tp : partitions) {
        auto it = _positions.find(tp);
        if (it != _positions.end() && it->second.next >= 0) {
            out.emplace(tp, record_offset(it->second.next));
        }
    }
    return out;
}

void fake_consumer::pause(const std::vector<topic_partition>& partitions) {
    std::lock_guard lock(_mutex);
    for (const auto& tp : partitions) {
        if (auto it = _positions.find(tp); it != _positions.end()) {
            it->second.paused = true;
        }
    }
}

void fake_consumer::resume(const std::vector<topic_partition>& partitions) {
    std::lock_guard lock(_mutex);
    for (const auto& tp : partitions) {
        if (auto it = _positions.find(tp); it != _positions.end()) {
            it->second.paused = false;
        }
    }
}

void fake_consumer::seek(const topic_partition& partition, record_offset next,
                         std::chrono::milliseconds /*timeout*/) {
    std::lock_guard lock(_mutex);
    auto it = _positions.find(partition);
    if (it == _positions.end()) {
        throw kafka::kafka_error::from(RD_KAFKA_RESP_ERR__STATE,
                                       "seeking an unassigned partition " + partition.to_string());
    }
    it->second.next = next.value == RD_KAFKA_OFFSET_BEGINNING ? 0 : next.value;
    it->second.eof_reported = -1;
}

void fake_consumer::close() {
    std::vector<topic_partition> all;
    {
        std::lock_guard lock(_mutex);
        if (_closed) {
            return;
        }
        _closed = true;
        for (const auto& [tp, pos] : _positions) {
            all.push_back(tp);
        }
    }
    if (_listener != nullptr && !all.empty()) {
        _listener->on_revoked(all);
    }
    remove_partitions(all);
}

// ---------------------------------------------------------------- fake_producer

fake_producer::fake_producer(fake_cluster& cluster, const kafka::client_config& config,
                             delivery_handler on_delivery)
    : _cluster(cluster), _on_delivery(std::move(on_delivery)),
      _transactional_id(config.get("transactional.id").value_or("")),
      _max_record_bytes(std::stoull(config.get("message.max.bytes").value_or("1000000"))) {}

fake_producer::~fake_producer() {
    if (on_destroy) {
        on_destroy();
    }
}

void fake_producer::fail_next_send_offsets(kafka::kafka_error e) {
    std::lock_guard lock(_mutex);
    _send_offsets_failure = std::move(e);
}

void fake_producer::fail_next_commit(kafka::kafka_error e) {
    std::lock_guard lock(_mutex);
    _commit_failure = std::move(e);
}

void fake_producer::fail_deliveries_to(std::string topic, rd_kafka_resp_err_t error) {
    std::lock_guard lock(_mutex);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
        _failing_topics.erase(topic);
    } else {
        _failing_topics[std::move(topic)] = error;
    }
}

void fake_producer::close_commit_gate() {
    std::lock_guard lock(_mutex);
    _gate_closed = true;
}

void fake_producer::open_commit_gate() {
    {
        std::lock_guard lock(_mutex);
        _gate_closed = false;
    }
    _gate_changed.notify_all();
}

bool fake_producer::commit_waiting_at_gate() const {
    std::lock_guard lock(_mutex);
    return _at_gate;
}

uint64_t fake_producer::commits_attempted() const {
    std::lock_guard lock(_mutex);
    return _commits_attempted;
}

uint64_t fake_producer::aborts() const {
    std::lock_guard lock(_mutex);
    return _aborts;
}

producer_client::topic_handle fake_producer::open_topic(const std::string& name) {
    std::lock_guard lock(_mutex);
    return _topics.emplace_back(std::make_unique<std::string>(name)).get();
}

std::string_view fake_producer::topic_name(topic_handle topic) const {
    return *static_cast<const std::string*>(topic);
}

std::optional<int32_t> fake_producer::partition_count(topic_handle topic,
                                                      std::chrono::milliseconds /*timeout*/) {
    const int32_t n = _cluster.partitions(*static_cast<std::string*>(topic));
    return n > 0 ? std::optional<int32_t>(n) : std::nullopt;
}

void fake_producer::check_not_fenced() const {
    if (!_transactional_id.empty() && _epoch != _cluster.epoch(_transactional_id)) {
        throw fenced_error(
            fmt::format("producer {} was fenced by a newer instance", _transactional_id));
    }
}

void fake_producer::produce(topic_handle topic, int32_t partition, nullable_bytes key,
                            nullable_bytes value, int64_t timestamp_ms,
                            kafka::headers_ptr raw_headers) {
    const std::string& name = *static_cast<std::string*>(topic);
    const size_t size = (key ? key->size() : 0) + (value ? value->size() : 0);
    if (size > _max_record_bytes) {
        throw kafka::kafka_error::from(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                                       fmt::format("cannot produce to '{}'", name));
    }
    const int32_t partitions = _cluster.partitions(name);
    if (partitions == 0) {
        throw kafka::kafka_error::from(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
                                       fmt::format("cannot produce to '{}'", name));
    }
    if (partition == RD_KAFKA_PARTITION_UA) {
        partition = 0;
    }
    stored_record r;
    if (key) {
        r.key.emplace(*key);
    }
    if (value) {
        r.value.emplace(*value);
    }
    r.timestamp = timestamp_ms;
    if (raw_headers) {
        const char* hname = nullptr;
        const void* hvalue = nullptr;
        size_t hsize = 0;
        for (size_t i = 0; rd_kafka_header_get_all(raw_headers.get(), i, &hname, &hvalue, &hsize) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            r.hdrs.add(hname, hvalue != nullptr ? std::optional<std::string>(std::string(
                                                      static_cast<const char*>(hvalue), hsize))
                                                : std::nullopt);
        }
    }
    std::lock_guard lock(_mutex);
    check_not_fenced();
    if (!_transactional_id.empty() && _transaction == 0) {
        throw kafka::kafka_error("produce outside a transaction", RD_KAFKA_RESP_ERR__STATE, false,
                                 false, false);
    }
    pending_report report{name, partition, -1, RD_KAFKA_RESP_ERR_NO_ERROR, r.key, r.value};
    if (auto it = _failing_topics.find(name); it != _failing_topics.end()) {
        report.error = it->second;
        _transaction_failed = _transaction != 0;
    } else {
        report.offset = _cluster.append_transactional(name, partition, std::move(r), _transaction);
    }
    _reports.push_back(std::move(report));
}

int fake_producer::serve_reports() {
    std::deque<pending_report> reports;
    {
        std::lock_guard lock(_mutex);
        reports.swap(_reports);
    }
    for (const auto& r : reports) {
        if (_on_delivery) {
            delivery_report d;
            d.topic = r.topic;
            d.partition = r.partition;
            d.offset = r.offset;
            d.error = r.error;
            if (r.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
                d.reason = rd_kafka_err2str(r.error);
                d.key = r.key;
                d.value = r.value;
            }
            _on_delivery(d);
        }
    }
    return static_cast<int>(reports.size());
}

int fake_producer::poll(std::chrono::milliseconds /*timeout*/) {
    return serve_reports();
}

void fake_producer::flush(std::chrono::milliseconds /*timeout*/) {
    serve_reports();
}

void fake_producer::init_transactions(std::chrono::milliseconds /*timeout*/) {
    std::lock_guard lock(_mutex);
    _epoch = _cluster.fence(_transactional_id);
}

void fake_producer::begin_transaction() {
    std::lock_guard lock(_mutex);
    check_not_fenced();
    if (_transaction != 0) {
        throw kafka::kafka_error("a transaction is already open", RD_KAFKA_RESP_ERR__STATE, false,
                                 false, false);
    }
    _transaction = _cluster.begin_transaction(_transactional_id);
    _transaction_failed = false;
    _transaction_offsets.clear();
}

void fake_producer::send_offsets_to_transaction(const offset_map& offsets,
                                                const rd_kafka_consumer_group_metadata_t* /*group*/,
                                                std::chrono::milliseconds /*timeout*/) {
    std::lock_guard lock(_mutex);
    check_not_fenced();
    if (_send_offsets_failure) {
        kafka::kafka_error e = std::move(*_send_offsets_failure);
        _send_offsets_failure.reset();
        throw e;
    }
    for (const auto& [tp, pos] : offsets) {
        _transaction_offsets[tp] = pos;
    }
}

void fake_producer::commit_transaction(std::chrono::milliseconds /*timeout*/) {
    serve_reports(); // as librdkafka's commit flushes, serving reports on this thread
    std::unique_lock lock(_mutex);
    ++_commits_attempted;
    _at_gate = _gate_closed;
    _gate_changed.wait(lock, [&] { return !_gate_closed; });
    _at_gate = false;
    check_not_fenced();
    if (_commit_failure) {
        kafka::kafka_error e = std::move(*_commit_failure);
        _commit_failure.reset();
        throw e;
    }
    if (_transaction_failed) {
        throw abortable_error("a record of the transaction was not delivered");
    }
    if (_transaction == 0) {
        throw kafka::kafka_error("no transaction open", RD_KAFKA_RESP_ERR__STATE, false, false,
                                 false);
    }
    _cluster.end_transaction(_transaction, true, _transaction_offsets);
    _transaction = 0;
    _transaction_offsets.clear();
}

void fake_producer::abort_transaction(std::chrono::milliseconds /*timeout*/) {
    serve_reports();
    std::lock_guard lock(_mutex);
    check_not_fenced();
    ++_aborts;
    if (_transaction != 0) {
        _cluster.end_transaction(_transaction, false, {});
    }
    _transaction = 0;
    _transaction_failed = false;
    _transaction_offsets.clear();
}

// ---------------------------------------------------------------- fake_client_factory

std::unique_ptr<consumer_client>
fake_client_factory::consumer(const kafka::client_config& /*config*/,
                              partition_listener* listener) {
    auto c = std::make_unique<fake_consumer>(_cluster, listener);
    fake_consumer* raw = c.get();
    c->on_destroy = [this, raw] {
        std::lock_guard lock(_mutex);
        if (_consumer == raw) {
            _consumer = nullptr;
        }
    };
    if (on_consumer) {
        on_consumer(*c);
    }
    std::lock_guard lock(_mutex);
    _consumer = raw;
    return c;
}

std::unique_ptr<consumer_client>
fake_client_factory::restore_consumer(const kafka::client_config& /*config*/) {
    auto c = std::make_unique<fake_consumer>(_cluster, nullptr);
    c->set_auto_assign(false);
    return c;
}

std::unique_ptr<producer_client>
fake_client_factory::producer(const kafka::client_config& config,
                              producer_client::delivery_handler on_delivery) {
    auto p = std::make_unique<fake_producer>(_cluster, config, std::move(on_delivery));
    fake_producer* raw = p.get();
    p->on_destroy = [this, raw] {
        std::lock_guard lock(_mutex);
        if (_producer == raw) {
            _producer = nullptr;
        }
    };
    if (on_producer) {
        on_producer(*p);
    }
    std::lock_guard lock(_mutex);
    _producer = raw;
    ++_producers;
    return p;
}

fake_consumer* fake_client_factory::last_consumer() const {
    std::lock_guard lock(_mutex);
    return _consumer;
}

fake_producer* fake_client_factory::last_producer() const {
    std::lock_guard lock(_mutex);
    return _producer;
}

size_t fake_client_factory::producers_made() const {
    std::lock_guard lock(_mutex);
    return _producers;
}

} // namespace brook::testing
