#pragma once

// The processors of a table-table foreign-key join (Kafka Streams' KIP-213):
//
//   left.join(right, foreign_key, joiner)   left: table<K, VL>, right: table<KO, VO>
//
// Each left row names a right row by foreign_key(row). The two tables live in different
// tasks (partitioned by K and by KO), so the join talks through two internal topics:
//
//   left update --> fk_subscription_send --(KO: subscription)-->
//   <name>-subscription-registration-topic
//     --> fk_subscription_receive (keeps "who subscribes to KO" in <name>-subscription-store,
//         looks up the right row) --(K: response)--> <name>-subscription-response-topic
//   right update --> fk_right_update (every subscriber of KO) --(K: response)--> (same topic)
//   response --> fk_response_resolver (looks up the left row) --> result table
//
// A response carries a hash of the left row it answers; the resolver drops it unless the
// left row is still that one, so a response for a row that has changed since (a new
// foreign key, a new value) never joins. A subscription of a row that had a foreign key
// before is answered with the right row or with none, so an inner join retracts a row whose
// new foreign key has no right row yet; a left join answers every subscription, and emits
// the left row alone. An inner join's row that has no result at the time (the join's
// result table holds none for its key) is answered only when there is a right row, since
// there is nothing to retract (as Kafka Streams' PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE for a
// new row; an answer for an older version of the row that is still on its way is dropped
// by its hash, and one for this version makes the same result). A deleted left row
// unsubscribes, and a row whose foreign_key returns nullopt names no row: fk_self_answer_processor
// answers both at once through the response topic, which the resolver turns into a tombstone
// (deleted) or a row with none (left join).
//
// Lifecycle: one instance per task; init() finds the stores. Threading: the task's thread.
// Ownership: each borrows its stores.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/processor/processor.h"
#include "engine/serde/serde.h"
#include "engine/store/get_store.h"
#include "engine/store/key_value_store.h"
#include "engine/store/windowed.h"
#include "operators/aggregation_support.h"
#include "operators/joined.h"

namespace brook {

// A 128-bit hash of a left row's bytes (FNV-1a 64 and a multiply-xorshift 64 over the
// same bytes): equal rows give equal hashes on every instance and build.
struct fk_row_hash {
    uint64_t a = 0;
    uint64_t b = 0;
    bool operator==(const fk_row_hash&) const = default;

    static fk_row_hash of(std::string_view bytes) {
        uint64_t fnv = 0xcbf29ce484222325ULL;
        uint64_t mix = 0x9e3779b97f4a7c15ULL ^ bytes.size();
        for (const char c : bytes) {
            const auto u = static_cast<unsigned char>(c);
            fnv = (fnv ^ u) * 0x100000001b3ULL;
            mix = (mix ^ u) * 0xff51afd7ed558ccdULL;
            mix ^= mix >> 29;
        }
        mix ^= mix >> 33;
        mix *= 0xc4ceb9fe1a85ec53ULL;
        mix ^= mix >> 33;
        return {fnv, mix};
    }
    // The hash of v's bytes as `serde` writes them (a null hashes as no bytes).
    template <class S, class T>
    static fk_row_hash of(const S& serde, const T& v) {
        std::string buffer;
        const nullable_bytes bytes = serde.serialize(v, buffer);
        return of(bytes.value_or(std::string_view()));
    }
};

// What the left side tells the right side about one left key.
enum class fk_instruction : char {
    subscribe = 1,     // the left row names this foreign key now: answer it
    unsubscribe = 2,   // it names another one, none, or was deleted: forget it, say nothing
    subscribe_new = 3, // an inner join's row with no result yet: answer only with a row
};

template <class K>
struct fk_subscription {
    fk_instruction instruction = fk_instruction::subscribe;
    fk_row_hash hash;
    K key{};
};

// The right side's answer for one left key: the right row (none: there is none), for the
// left row with `hash`.
template <class VO>
struct fk_response {
    fk_row_hash hash;
    std::optional<VO> value;
};

namespace detail {
inline void append_hash(std::string& out, const fk_row_hash& h) {
    char bytes[16];
    write_u64_be(bytes, h.a);
    write_u64_be(bytes + 8, h.b);
    out.append(bytes, 16);
}
inline fk_row_hash read_hash(std::string_view in) {
    return {read_u64_be(in, 0), read_u64_be(in, 8)};
}
} // namespace detail

// fk_subscription<K> on the wire: a version byte (1), the instruction byte, the hash (16
// bytes), then the left key as KS writes it. Throws serde_error for anything else.
template <class KS>
class fk_subscription_serde {
public:
    using key_type =
        std::remove_cvref_t<decltype(std::declval<const KS&>().deserialize(nullable_bytes{}))>;
    using value_type = fk_subscription<key_type>;

    fk_subscription_serde() = default;
    explicit fk_subscription_serde(KS key_serde) : _ks(std::move(key_serde)) {}

    nullable_bytes serialize(const value_type& s, std::string& buffer) const {
        buffer.assign(1, '\1');
        buffer.push_back(static_cast<char>(s.instruction));
        detail::append_hash(buffer, s.hash);
        buffer.append(detail::serialize_to_string(_ks, s.key));
        return std::string_view(buffer);
    }
    value_type deserialize(nullable_bytes in) const {
        if (!in || in->size() < 18 || in->front() != '\1' || in->at(1) < 1 || in->at(1) > 3) {
            throw serde_error("not a foreign-key join subscription (version 1, instruction, "
                              "hash, left key)");
        }
        return value_type{static_cast<fk_instruction>(in->at(1)), detail::read_hash(in->substr(2)),
                          _ks.deserialize(in->substr(18))};
    }

private:
    [[no_unique_address]] KS _ks{};
};

// fk_response<VO> on the wire: a version byte (1), the hash (16 bytes), a flag byte (1: the
// right row follows as VS writes it, 0: no row). Throws serde_error for anything else.
template <class VS>
class fk_response_serde {
public:
    using row_type =
        std::remove_cvref_t<decltype(std::declval<const VS&>().deserialize(nullable_bytes{}))>;
    using value_type = fk_response<row_type>;

    fk_response_serde() = default;
    explicit fk_response_serde(VS value_serde) : _vs(std::move(value_serde)) {}

    nullable_bytes serialize(const value_type& r, std::string& buffer) const {
        buffer.assign(1, '\1');
        detail::append_hash(buffer, r.hash);
        if (r.value) {
            buffer.push_back('\1');
            buffer.append(detail::serialize_to_string(_vs, *r.value));
        } else {
            buffer.push_back('\0');
        }
        return std::string_view(buffer);
    }
    value_type deserialize(nullable_bytes in) const {
        if (!in || in->size() < 18 || in->front() != '\1' ||
            (in->at(17) != '\0' && in->at(17) != '\1') ||
            (in->at(17) == '\0' && in->size() != 18)) {
            throw serde_error("not a foreign-key join response (version 1, hash, flag, row)");
        }
        value_type r;
        r.hash = detail::read_hash(in->substr(1));
        if (in->at(17) == '\1') {
            r.value = _vs.deserialize(in->substr(18));
        }
        return r;
    }

private:
    [[no_unique_address]] VS _vs{};
};

namespace detail {
// The subscription store's key: u32 big-endian length of the foreign key's bytes, those
// bytes, then the left key's bytes; every subscriber of one foreign key shares a prefix.
inline std::string subscription_prefix(std::string_view foreign_key) {
    std::string out(4, '\0');
    const auto n = static_cast<uint32_t>(foreign_key.size());
    for (int i = 0; i < 4; ++i) {
        out[i] = static_cast<char>(static_cast<unsigned char>(n >> (24 - 8 * i)));
    }
    out.append(foreign_key);
    return out;
}
} // namespace detail

namespace detail {
// The row's foreign key: foreign_key(row), which returns KO or std::optional<KO> (nullopt:
// the row names no other row).
template <class KO, class FK, class VT>
std::optional<KO> foreign_key_of(const FK& foreign_key, const VT& row) {
    if constexpr (std::is_convertible_v<std::invoke_result_t<const FK&, const VT&>, KO>) {
        return std::optional<KO>(foreign_key(row));
    } else {
        return foreign_key(row);
    }
}
} // namespace detail

// Left side, on each update of the left table that no right row answers: a deleted row,
// or a row with no foreign key. Answers it on the response topic itself, with no right
// row, so the resolver retracts a deleted row (whatever its foreign key was), gives a left
// join's row without a foreign key with none (KIP-962) and retracts an inner join's, in
// order with the answers before it.
template <class K, class TV, class VT, class KO, class FK, class VTS, class VOT>
class fk_self_answer_processor final : public processor<K, TV, K, fk_response<VOT>> {
public:
    fk_self_answer_processor(FK foreign_key, VTS row_serde)
        : _foreign_key(std::move(foreign_key)), _rows(std::move(row_serde)) {}

    void process(record<K, TV>&& r) override {
        const VT* row = row_of(r.value);
        fk_row_hash hash;
        if (row != nullptr) {
            if (detail::foreign_key_of<KO>(_foreign_key, *row)) {
                return; // the right side answers
            }
            hash = fk_row_hash::of(_rows, *row);
        }
        this->context().forward(record<K, fk_response<VOT>>{
            std::move(r.key), fk_response<VOT>{hash, std::nullopt}, r.timestamp, {}});
    }

private:
    FK _foreign_key;
    [[no_unique_address]] VTS _rows;
};

// Left side, on each update of the left table (TV: what it forwards; VT: the row). Keeps
// each left key's current foreign key in `previous_store` to unsubscribe from it when it
// changes or the row goes away. With `result_store` (an inner join's result table, of
// VR rows), a row that had no foreign key before and whose key has no result there
// subscribes with subscribe_new.
template <class K, class TV, class VT, class KO, class FK, class KOS, class VTS, class VR>
class fk_subscription_send_processor final : public processor<K, TV, KO, fk_subscription<K>> {
public:
    using context_type = typename processor<K, TV, KO, fk_subscription<K>>::context_type;

    fk_subscription_send_processor(std::string previous_store, FK foreign_key, KOS ko_serde,
                                   VTS row_serde, std::string result_store)
        : _previous_store(std::move(previous_store)), _result_store(std::move(result_store)),
          _foreign_key(std::move(foreign_key)), _kos(std::move(ko_serde)),
          _rows(std::move(row_serde)) {}

    void init(context_type& context) override {
        _previous = &get_store<key_value_store<K, KO>>(context, _previous_store);
        if (!_result_store.empty()) {
            _result = &get_store<timestamped_key_value_store<K, VR>>(context, _result_store);
        }
    }

    void process(record<K, TV>&& r) override {
        const VT* row = row_of(r.value);
        const std::optional<KO> old = _previous->get(r.key);
        if (row == nullptr) {
            // fk_self_answer_processor answers the delete itself.
            if (old) {
                send(*old, fk_instruction::unsubscribe, {}, r);
                _previous->remove(r.key);
            }
            return;
        }
        std::optional<KO> now = detail::foreign_key_of<KO>(_foreign_key, *row);
        const fk_row_hash hash = fk_row_hash::of(_rows, *row);
        if (old && (!now || detail::serialize_to_string(_kos, *old) !=
                                detail::serialize_to_string(_kos, *now))) {
            send(*old, fk_instruction::unsubscribe, hash, r);
        }
        if (!now) {
            // No foreign key: fk_self_answer_processor answers for the row itself.
            if (old) {
                _previous->remove(r.key);
            }
            return;
        }
        _previous->put(r.key, *now);
        // Only a row that had no foreign key before can lack a result it must retract; the
        // result store is read for those alone, not on every update of a joined row.
        const bool no_result = !old && _result != nullptr && !_result->get(r.key);
        send(std::move(*now), no_result ? fk_instruction::subscribe_new : fk_instruction::subscribe,
             hash, r);
    }

private:
    void send(KO foreign_key, fk_instruction instruction, fk_row_hash hash,
              const record<K, TV>& r) {
        this->context().forward(record<KO, fk_subscription<K>>{
            std::move(foreign_key), fk_subscription<K>{instruction, hash, r.key}, r.timestamp, {}});
    }

    std::string _previous_store;
    std::string _result_store;
    FK _foreign_key;
    [[no_unique_address]] KOS _kos;
    [[no_unique_address]] VTS _rows;
    key_value_store<K, KO>* _previous = nullptr;
    timestamped_key_value_store<K, VR>* _result = nullptr;
};

// Right side, on each subscription: records or forgets the subscriber, and answers it
// with the right row as it stands.
template <class KO, class K, class VOT, class KOS, class KS>
class fk_subscription_receive_processor final
    : public processor<KO, fk_subscription<K>, K, fk_response<VOT>> {
public:
    using context_type =
        typename processor<KO, fk_subscription<K>, K, fk_response<VOT>>::context_type;

    fk_subscription_receive_processor(std::string subscriptions, std::string right_store,
                                      KOS ko_serde, KS key_serde)
        : _subscriptions_name(std::move(subscriptions)), _right_name(std::move(right_store)),
          _kos(std::move(ko_serde)), _ks(std::move(key_serde)) {}

    void init(context_type& context) override {
        _subscriptions =
            &get_store<key_value_store<std::string, std::string>>(context, _subscriptions_name);
        _right = &get_store<timestamped_key_value_store<KO, VOT>>(context, _right_name);
    }

    void process(record<KO, fk_subscription<K>>&& r) override {
        const std::string key =
            detail::subscription_prefix(detail::serialize_to_string(_kos, r.key)) +
            detail::serialize_to_string(_ks, r.value.key);
        switch (r.value.instruction) {
        case fk_instruction::unsubscribe:
            _subscriptions->remove(key);
            return;
        case fk_instruction::subscribe:
        case fk_instruction::subscribe_new: {
            std::string hash;
            detail::append_hash(hash, r.value.hash);
            _subscriptions->put(key, hash);
            std::optional<value_and_timestamp<VOT>> right = _right->get(r.key);
            if (!right && r.value.instruction == fk_instruction::subscribe_new) {
                return; // nothing to join and nothing to retract
            }
            fk_response<VOT> response{r.value.hash, std::nullopt};
            int64_t timestamp = r.timestamp;
            if (right) {
                timestamp = std::max(timestamp, right->timestamp);
                response.value = std::move(right->value);
            }
            this->context().forward(record<K, fk_response<VOT>>{
                std::move(r.value.key), std::move(response), timestamp, {}});
            return;
        }
        }
    }

private:
    std::string _subscriptions_name;
    std::string _right_name;
    [[no_unique_address]] KOS _kos;
    [[no_unique_address]] KS _ks;
    key_value_store<std::string, std::string>* _subscriptions = nullptr;
    timestamped_key_value_store<KO, VOT>* _right = nullptr;
};

// Right side, on each update of the right table (TVO: what it forwards): answers every
// subscriber of the key with the new row (none: deleted).
template <class KO, class TVO, class VOT, class K, class KOS, class KS>
class fk_right_update_processor final : public processor<KO, TVO, K, fk_response<VOT>> {
public:
    using context_type = typename processor<KO, TVO, K, fk_response<VOT>>::context_type;

    fk_right_update_processor(std::string subscriptions, KOS ko_serde, KS key_serde)
        : _subscriptions_name(std::move(subscriptions)), _kos(std::move(ko_serde)),
          _ks(std::move(key_serde)) {}

    void init(context_type& context) override {
        _subscriptions =
            &get_store<key_value_store<std::string, std::string>>(context, _subscriptions_name);
    }

    void process(record<KO, TVO>&& r) override {
        const VOT* row = row_of(r.value);
        const std::string prefix =
            detail::subscription_prefix(detail::serialize_to_string(_kos, r.key));
        // Every key starting with `prefix` sorts between it and the prefix's successor
        // (its last byte below 0xff raised by one; the length in front has one).
        std::string to = prefix;
        while (!to.empty() && static_cast<unsigned char>(to.back()) == 0xff) {
            to.pop_back();
        }
        to.back() = static_cast<char>(static_cast<unsigned char>(to.back()) + 1);
        struct subscriber {
            std::string key_bytes;
            fk_row_hash hash;
        };
        std::vector<subscriber> found;
        _subscriptions->range(prefix, to, [&](const std::string& key, const std::string& hash) {
            if (key.size() >= prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
                hash.size() == 16) {
                found.push_back({key.substr(prefix.size()), detail::read_hash(hash)});
            }
            return true;
        });
        for (auto& s : found) {
            K key = _ks.deserialize(nullable_bytes(std::string_view(s.key_bytes)));
            fk_response<VOT> response{s.hash, row ? std::optional<VOT>(*row) : std::nullopt};
            this->context().forward(
                record<K, fk_response<VOT>>{std::move(key), std::move(response), r.timestamp, {}});
        }
    }

private:
    std::string _subscriptions_name;
    [[no_unique_address]] KOS _kos;
    [[no_unique_address]] KS _ks;
    key_value_store<std::string, std::string>* _subscriptions = nullptr;
};

// Left side, on each response: joins it with the left row if the row is still the one the
// response answers (same hash), and forwards the result row (nullopt: no row) to the result
// node. Joiner: VR(const K&, const VT&, const VOT*) (nullptr: no right row; only a left
// join calls it so).
template <join_kind Kind, class K, class VT, class VOT, class VR, class Joiner, class VTS>
class fk_response_resolver_processor final
    : public processor<K, fk_response<VOT>, K, std::optional<VR>> {
public:
    using context_type =
        typename processor<K, fk_response<VOT>, K, std::optional<VR>>::context_type;

    fk_response_resolver_processor(std::string left_store, Joiner joiner, VTS row_serde)
        : _left_name(std::move(left_store)), _joiner(std::move(joiner)),
          _rows(std::move(row_serde)) {}

    void init(context_type& context) override {
        _left = &get_store<timestamped_key_value_store<K, VT>>(context, _left_name);
    }

    void process(record<K, fk_response<VOT>>&& r) override {
        const std::optional<value_and_timestamp<VT>> left = _left->get(r.key);
        if (!left) {
            forward(std::move(r.key), std::nullopt, r.timestamp); // the left row is gone
            return;
        }
        if (fk_row_hash::of(_rows, left->value) != r.value.hash) {
            return; // answers a left row that has changed since: its own answer follows
        }
        if (Kind == join_kind::inner && !r.value.value) {
            forward(std::move(r.key), std::nullopt, r.timestamp);
            return;
        }
        const VOT* right = r.value.value ? &*r.value.value : nullptr;
        std::optional<VR> joined(_joiner(r.key, left->value, right));
        forward(std::move(r.key), std::move(joined), std::max(r.timestamp, left->timestamp));
    }

private:
    void forward(K key, std::optional<VR> value, int64_t timestamp) {
        this->context().forward(
            record<K, std::optional<VR>>{std::move(key), std::move(value), timestamp, {}});
    }

    std::string _left_name;
    Joiner _joiner;
    [[no_unique_address]] VTS _rows;
    timestamped_key_value_store<K, VT>* _left = nullptr;
};

} // namespace brook
