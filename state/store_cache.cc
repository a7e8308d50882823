#include "state/store_cache.h"

#include <utility>

namespace brook::state {

namespace {

// Keeps eviction and erasure off while a scan or a write-down runs, so that iterators
// and entry pointers held up the stack stay valid.
class pin {
public:
    explicit pin(int& count) : _count(count) { ++_count; }
    ~pin() { --_count; }
    pin(const pin&) = delete;
    pin& operator=(const pin&) = delete;

private:
    int& _count;
};

} // namespace

std::string key_after_prefix(std::string_view prefix) {
    std::string bound(prefix);
    while (!bound.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(bound.back());
        if (last != 0xff) {
            ++last;
            return bound;
        }
        bound.pop_back();
    }
    return bound;
}

store_cache::store_cache(cache_budget& budget, write_down_fn write_down)
    : _budget(budget), _write_down(std::move(write_down)) {}

store_cache::~store_cache() {
    _budget.release(_charged);
}

size_t store_cache::charge_of(std::string_view key, const std::optional<std::string>& value) {
    // An rb-tree node header is four words; the node holds the key string and the entry.
    constexpr size_t overhead = 4 * sizeof(void*) + sizeof(entry_map::value_type);
    return overhead + key.size() + (value ? value->size() : 0);
}

void store_cache::lru_unlink(entry& e) {
    (e.lru_prev ? e.lru_prev->lru_next : _lru_head) = e.lru_next;
    (e.lru_next ? e.lru_next->lru_prev : _lru_tail) = e.lru_prev;
    e.lru_prev = e.lru_next = nullptr;
}

void store_cache::lru_push_back(entry& e) {
    e.lru_prev = _lru_tail;
    e.lru_next = nullptr;
    (_lru_tail ? _lru_tail->lru_next : _lru_head) = &e;
    _lru_tail = &e;
}

void store_cache::touch(entry& e) {
    if (_lru_tail != &e) {
        lru_unlink(e);
        lru_push_back(e);
    }
}

void store_cache::recharge(entry& e) {
    size_t charge = charge_of(*e.key, e.value);
    _budget.release(e.charge);
    _charged -= e.charge;
    _budget.charge(charge);
    _charged += charge;
    e.charge = charge;
}

void store_cache::mark_dirty(entry& e) {
    if (e.dirty_slot != npos) {
        return;
    }
    // Evictions leave null slots behind; without a flush for a long time (a long commit
    // interval) they would pile up, so squeeze them out once they are the majority.
    if (_pinned == 0 && _dirty_order.size() >= 64 && _dirty_order.size() > 2 * _dirty_count) {
        compact_dirty_order();
    }
    e.dirty_slot = _dirty_order.size();
    _dirty_order.push_back(&e);
    ++_dirty_count;
}

void store_cache::compact_dirty_order() {
    size_t kept = 0;
    for (entry* e : _dirty_order) {
        if (e != nullptr) {
            e->dirty_slot = kept;
            _dirty_order[kept++] = e;
        }
    }
    _dirty_order.resize(kept);
}

const std::optional<std::string>* store_cache::find(std::string_view key) {
    auto it = _entries.find(key);
    if (it == _entries.end()) {
        return nullptr;
    }
    touch(it->second);
    return &it->second.value;
}

void store_cache::fill(std::string_view key, std::string_view value) {
    auto [it, inserted] = _entries.try_emplace(std::string(key));
    if (!inserted) {
        return;
    }
    entry& e = it->second;
    e.key = &it->first;
    e.value.emplace(value);
    e.went_below = true;
    lru_push_back(e);
    recharge(e);
    evict_while_over();
}

void store_cache::write(std::string_view key, std::optional<std::string_view> value,
                        int64_t timestamp) {
    auto it = _entries.find(key);
    if (it == _entries.end()) {
        it = _entries.try_emplace(std::string(key)).first;
        it->second.key = &it->first;
        lru_push_back(it->second);
    } else {
        touch(it->second);
    }
    entry& e = it->second;
    if (value) {
        // assign() reuses the string's capacity: repeated updates of a key do not allocate.
        if (e.value) {
            e.value->assign(*value);
        } else {
            e.value.emplace(*value);
        }
    } else {
        e.value.reset();
    }
    e.timestamp = timestamp;
    mark_dirty(e);
    recharge(e);
    evict_while_over();
}

void store_cache::evict_while_over() {
    if (_pinned > 0) {
        return;
    }
    while (_budget.over() && _lru_head != nullptr) {
        entry& victim = *_lru_head;
        if (victim.dirty_slot != npos) {
            // Clean it first: should write_down throw, the store below may or may not have
            // the write, and the entry stays cached (as clean) so reads still see it.
            _dirty_order[victim.dirty_slot] = nullptr;
            victim.dirty_slot = npos;
            --_dirty_count;
            pin guard(_pinned);
            victim.went_below = true;
            _write_down(*victim.key,
                        victim.value ? std::optional<std::string_view>(*victim.value)
                                     : std::nullopt,
                        victim.timestamp);
        }
        erase(victim);
    }
}

void store_cache::erase(entry& e) {
    lru_unlink(e);
    if (e.dirty_slot != npos) {
        _dirty_order[e.dirty_slot] = nullptr;
        --_dirty_count;
    }
    _budget.release(e.charge);
    _charged -= e.charge;
    _entries.erase(_entries.find(*e.key));
}

bool store_cache::holds_unwritten(std::string_view key) const {
    const auto it = _entries.find(key);
    return it != _entries.end() && it->second.dirty_slot != npos && !it->second.went_below;
}

bool store_cache::discard_unwritten(std::string_view key) {
    if (_pinned > 0 || !holds_unwritten(key)) {
        return false;
    }
    erase(_entries.find(key)->second);
    return true;
}

void store_cache::flush() {
    {
        pin guard(_pinned);
        // Entries dirtied while this runs (by a listener, against the rules) land after
        // `n` and wait for the next flush.
        const size_t n = _dirty_order.size();
        for (size_t i = 0; i < n; ++i) {
            entry* e = _dirty_order[i];
            if (e == nullptr) {
                continue;
            }
            _dirty_order[i] = nullptr;
            e->dirty_slot = npos;
            --_dirty_count;
            if (!e->value) {
                _to_drop.push_back(e);
            }
            e->went_below = true;
            _write_down(*e->key,
                        e->value ? std::optional<std::string_view>(*e->value) : std::nullopt,
                        e->timestamp);
        }
        _dirty_order.erase(_dirty_order.begin(), _dirty_order.begin() + static_cast<ptrdiff_t>(n));
        for (size_t i = 0; i < _dirty_order.size(); ++i) {
            if (_dirty_order[i] != nullptr) {
                _dirty_order[i]->dirty_slot = i;
            }
        }
    }
    if (_pinned == 0) {
        // A clean delete is only "known absent": not worth its bytes.
        for (entry* e : _to_drop) {
            if (!e->value && e->dirty_slot == npos) {
                erase(*e);
            }
        }
    }
    _to_drop.clear();
    evict_while_over();
}

void store_cache::for_each_dirty(
    const std::function<void(std::string_view key, const std::optional<std::string>& value)>& visit)
    const {
    for (const entry* e : _dirty_order) {
        if (e != nullptr) {
            visit(*e->key, e->value);
        }
    }
}

store_cache::merge_cursor::merge_cursor(store_cache& cache, std::string_view from,
                                        std::string_view to, const kv_visitor& out)
    : _cache(cache), _to(to), _out(out), _next(cache._entries.lower_bound(from)) {
    ++_cache._pinned;
}

store_cache::merge_cursor::~merge_cursor() {
    --_cache._pinned;
}

bool store_cache::merge_cursor::in_range() const {
    return _next != _cache._entries.end() && (_to.empty() || std::string_view(_next->first) < _to);
}

bool store_cache::merge_cursor::drain_below(const std::string_view* bound) {
    while (!_stopped && in_range() &&
           (bound == nullptr || std::string_view(_next->first) < *bound)) {
        auto current = _next++;
        if (current->second.value && !_out(current->first, *current->second.value)) {
            _stopped = true;
        }
    }
    return !_stopped;
}

bool store_cache::merge_cursor::offer(std::string_view key, std::string_view value) {
    if (!drain_below(&key)) {
        return false;
    }
    if (in_range() && std::string_view(_next->first) == key) {
        // The cache has a newer version (or a pending delete) of this entry.
        auto current = _next++;
        if (current->second.value && !_out(current->first, *current->second.value)) {
            _stopped = true;
        }
        return !_stopped;
    }
    if (!_out(key, value)) {
        _stopped = true;
    }
    return !_stopped;
}

void store_cache::merge_cursor::finish() {
    drain_below(nullptr);
}

} // namespace brook::state
