#include "state/versioned_key_value_store.h"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "state/key_encoding.h"

namespace brook::state {

namespace {

constexpr char latest_tag = 'L';
constexpr char history_tag = 'H';
constexpr std::string_view stream_time_key = "S";
constexpr uint64_t sign_bit = uint64_t{1} << 63;
// Keys whose expired history each flush removes when they are not written themselves: a
// million idle keys are swept in about a thousand commits.
constexpr size_t sweep_keys = 1024;

// Timestamps flipped at the sign bit, so byte order is numeric order for negatives too.
void append_time(std::string& out, int64_t t) {
    append_u64_be(out, static_cast<uint64_t>(t) ^ sign_bit);
}
int64_t read_time(std::string_view in, size_t at) {
    return static_cast<int64_t>(read_u64_be(in, at) ^ sign_bit);
}

std::string latest_key(std::string_view key) {
    std::string out;
    out.reserve(1 + key.size());
    out.push_back(latest_tag);
    out.append(key);
    return out;
}

// 'H' [u32 len] key: every history entry of `key` starts with it.
std::string history_prefix(std::string_view key) {
    std::string out(1, history_tag);
    out.append(encode_key_prefix(key));
    return out;
}

std::string history_key(std::string_view key, int64_t t) {
    std::string out = history_prefix(key);
    append_time(out, t);
    return out;
}

void check_flag(std::string_view bytes, size_t at, const std::string& store) {
    if (bytes.size() <= at || (bytes[at] != '\0' && bytes[at] != '\1') ||
        (bytes[at] == '\0' && bytes.size() != at + 1)) {
        throw state_error("versioned store '" + store +
                          "': an entry is not a version (flag byte then value); was the "
                          "changelog written by something else?");
    }
}

} // namespace

versioned_key_value_store::versioned_key_value_store(std::unique_ptr<key_value_store> inner,
                                                     int64_t history_retention_ms)
    : _inner(std::move(inner)), _retention(history_retention_ms) {
    if (_inner == nullptr) {
        throw std::invalid_argument("a versioned store needs a store stack below it");
    }
    if (_retention < 0) {
        throw std::invalid_argument("a versioned store's history retention must be >= 0");
    }
}

void versioned_key_value_store::init(const store_context& context) {
    _inner->init(context);
    _stream_time_known = false;
    _stream_time_dirty = false;
}

void versioned_key_value_store::flush() {
    sweep(sweep_keys);
    if (_stream_time_dirty) {
        std::string bytes;
        append_u64_be(bytes, static_cast<uint64_t>(_stream_time));
        _inner->put(stream_time_key, bytes);
        _stream_time_dirty = false;
    }
    _inner->flush();
}

int64_t versioned_key_value_store::observed_stream_time() {
    if (!_stream_time_known) {
        _stream_time = -1;
        if (auto s = _inner->get(stream_time_key)) {
            if (s->size() != 8) {
                throw state_error("versioned store '" + name() +
                                  "': its stream time entry is not 8 bytes");
            }
            _stream_time = static_cast<int64_t>(read_u64_be(*s, 0));
        }
        // A restore that replayed latest versions newer than the written stream time (a
        // crash between a put and the next flush, at least once) knows better: the newest
        // put is always some key's latest version.
        if (_restored_latest > _stream_time) {
            _stream_time = _restored_latest;
            _stream_time_dirty = true;
        }
        _stream_time_known = true;
    }
    return _stream_time;
}

int64_t versioned_key_value_store::horizon() {
    const int64_t now = observed_stream_time();
    // Before the first put every query and write is within the retention.
    if (now < 0) {
        return std::numeric_limits<int64_t>::min();
    }
    return now - _retention;
}

std::optional<versioned_key_value_store::version>
versioned_key_value_store::latest(std::string_view key) {
    const std::optional<std::string> found = _inner->get(latest_key(key));
    if (!found) {
        return std::nullopt;
    }
    if (found->size() < 9) {
        throw state_error("versioned store '" + name() +
                          "': a latest entry is shorter than 9 bytes");
    }
    check_flag(*found, 8, name());
    version v;
    v.timestamp = static_cast<int64_t>(read_u64_be(*found, 0));
    v.tombstone = (*found)[8] == '\0';
    v.value = found->substr(9);
    return v;
}

std::optional<versioned_key_value_store::version>
versioned_key_value_store::history_at_or_before(std::string_view key, int64_t as_of) {
    const std::string prefix = history_prefix(key);
    std::string to = prefix;
    if (as_of == std::numeric_limits<int64_t>::max()) {
        to = prefix_upper_bound(prefix);
    } else {
        append_time(to, as_of + 1);
    }
    // The newest version at or before as_of: one step back from as_of.
    std::optional<version> found;
    _inner->reverse_range(prefix, to, [&](std::string_view k, std::string_view value) {
        check_flag(value, 0, name());
        version v;
        v.timestamp = read_time(k, prefix.size());
        v.tombstone = value[0] == '\0';
        v.value = std::string(value.substr(1));
        found = std::move(v);
        return false;
    });
    return found;
}

std::optional<int64_t> versioned_key_value_store::history_after(std::string_view key,
                                                                int64_t after) {
    const std::string prefix = history_prefix(key);
    if (after == std::numeric_limits<int64_t>::max()) {
        return std::nullopt;
    }
    std::string from = prefix;
    append_time(from, after + 1);
    std::optional<int64_t> found;
    _inner->range(from, prefix_upper_bound(prefix), [&](std::string_view k, std::string_view) {
        found = read_time(k, prefix.size());
        return false;
    });
    return found;
}

void versioned_key_value_store::put_latest(std::string_view key, int64_t timestamp,
                                           std::optional<std::string_view> value) {
    std::string bytes;
    append_u64_be(bytes, static_cast<uint64_t>(timestamp));
    bytes.push_back(value ? '\1' : '\0');
    if (value) {
        bytes.append(*value);
    }
    _inner->put(latest_key(key), bytes);
}

void versioned_key_value_store::put_history(std::string_view key, int64_t timestamp, bool tombstone,
                                            std::string_view value) {
    std::string bytes(1, tombstone ? '\0' : '\1');
    if (!tombstone) {
        bytes.append(value);
    }
    _inner->put(history_key(key, timestamp), bytes);
}

int64_t versioned_key_value_store::put(std::string_view key, std::optional<std::string_view> value,
                                       int64_t timestamp) {
    if (timestamp < horizon()) {
        return put_not_put;
    }
    if (timestamp > _stream_time) {
        _stream_time = timestamp;
        _stream_time_dirty = true;
    }
    int64_t valid_to = put_is_latest;
    const std::optional<version> current = latest(key);
    if (!current || current->timestamp <= timestamp) {
        if (current && current->timestamp < timestamp) {
            put_history(key, current->timestamp, current->tombstone, current->value);
        }
        put_latest(key, timestamp, value);
    } else {
        // Out of order: the version goes into the history, valid until the next one.
        valid_to = history_after(key, timestamp).value_or(current->timestamp);
        put_history(key, timestamp, !value.has_value(), value.value_or(std::string_view{}));
    }
    expire(key);
    return valid_to;
}

std::optional<versioned_bytes> versioned_key_value_store::remove(std::string_view key,
                                                                 int64_t timestamp) {
    if (timestamp < horizon()) {
        return std::nullopt;
    }
    std::optional<versioned_bytes> before = get(key, timestamp);
    put(key, std::nullopt, timestamp);
    return before;
}

void versioned_key_value_store::expire(std::string_view key) {
    const int64_t h = horizon();
    if (h == std::numeric_limits<int64_t>::min()) {
        return;
    }
    const std::optional<version> current = latest(key);
    if (!current) {
        return;
    }
    // Only versions at or before the horizon can go: read just those. Each but the last
    // has a successor at or before the horizon, so no valid query reaches it; the last
    // goes only if its successor (the next version, or the latest) is too.
    const std::string prefix = history_prefix(key);
    std::string to = prefix;
    append_time(to, h + 1);
    std::vector<std::string> old;
    _inner->range(prefix, to, [&](std::string_view k, std::string_view) {
        old.emplace_back(k);
        return true;
    });
    if (!old.empty()) {
        const int64_t last = read_time(old.back(), prefix.size());
        const int64_t successor = history_after(key, last).value_or(current->timestamp);
        if (successor > h) {
            old.pop_back();
        }
    }
    for (const auto& k : old) {
        _inner->remove(k);
    }
    // A tombstone at or before the horizon answers every valid query with "none".
    if (current->tombstone && current->timestamp <= h) {
        _inner->remove(latest_key(key));
    }
}

void versioned_key_value_store::sweep(size_t keys) {
    if (observed_stream_time() < 0) {
        return;
    }
    std::vector<std::string> batch;
    const std::string from =
        _sweep_cursor.empty() ? std::string(1, latest_tag) : latest_key(_sweep_cursor) + '\0';
    _inner->range(from, std::string(1, latest_tag + 1), [&](std::string_view k, std::string_view) {
        batch.emplace_back(k.substr(1));
        return batch.size() < keys;
    });
    for (const auto& key : batch) {
        expire(key);
    }
    _sweep_cursor = batch.size() < keys ? std::string() : batch.back();
}

std::optional<versioned_bytes> versioned_key_value_store::get(std::string_view key) {
    std::optional<version> current = latest(key);
    if (!current || current->tombstone) {
        return std::nullopt;
    }
    return versioned_bytes{std::move(current->value), current->timestamp};
}

std::optional<versioned_bytes> versioned_key_value_store::get(std::string_view key, int64_t as_of) {
    std::optional<version> current = latest(key);
    if (!current) {
        return std::nullopt;
    }
    if (current->timestamp <= as_of) {
        if (current->tombstone) {
            return std::nullopt;
        }
        return versioned_bytes{std::move(current->value), current->timestamp};
    }
    if (as_of < horizon()) {
        return std::nullopt;
    }
    std::optional<version> old = history_at_or_before(key, as_of);
    if (!old || old->tombstone) {
        return std::nullopt;
    }
    return versioned_bytes{std::move(old->value), old->timestamp};
}

void versioned_key_value_store::latest_range(std::string_view from, std::string_view to,
                                             const latest_visitor& visit) {
    const std::string lo = latest_key(from);
    const std::string hi = to.empty() ? std::string(1, latest_tag + 1) : latest_key(to);
    _inner->range(lo, hi, [&](std::string_view k, std::string_view value) {
        if (value.size() < 9) {
            throw state_error("versioned store '" + name() +
                              "': a latest entry is shorter than 9 bytes");
        }
        check_flag(value, 8, name());
        if (value[8] == '\0') {
            return true;
        }
        return visit(k.substr(1), value.substr(9), static_cast<int64_t>(read_u64_be(value, 0)));
    });
}

void versioned_key_value_store::begin_restore() {
    _stream_time_known = false;
    _inner->restore_target().begin_restore();
}
void versioned_key_value_store::restore_batch(std::span<const changelog_entry> batch) {
    _stream_time_known = false;
    for (const auto& e : batch) {
        if (!e.key.empty() && e.key[0] == latest_tag && e.value && e.value->size() >= 8) {
            _restored_latest =
                std::max(_restored_latest, static_cast<int64_t>(read_u64_be(*e.value, 0)));
        }
    }
    _inner->restore_target().restore_batch(batch);
}
void versioned_key_value_store::end_restore() {
    _stream_time_known = false;
    _inner->restore_target().end_restore();
}
std::optional<int64_t> versioned_key_value_store::checkpoint() {
    return _inner->restore_target().checkpoint();
}
void versioned_key_value_store::write_checkpoint(int64_t next_offset) {
    _inner->restore_target().write_checkpoint(next_offset);
}
void versioned_key_value_store::wipe() {
    _stream_time_known = false;
    _restored_latest = -1;
    _stream_time_dirty = false;
    _inner->restore_target().wipe();
}
void versioned_key_value_store::stage_writes() {
    _inner->restore_target().stage_writes();
}
void versioned_key_value_store::seal() {
    _inner->restore_target().seal();
}
void versioned_key_value_store::commit_sealed(std::optional<int64_t> checkpoint) {
    _inner->restore_target().commit_sealed(checkpoint);
}

} // namespace brook::state
